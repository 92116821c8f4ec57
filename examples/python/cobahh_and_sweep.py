"""The COBA-HH raster and the gNa × I heat map from Python.

    pip install "./python[plot]"
    python examples/python/cobahh_and_sweep.py            # writes cobahh_raster.png, sweep_rates.png
    python examples/python/cobahh_and_sweep.py --grid 300 # the published 300 × 300 job
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import hhsim

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--grid", type=int, default=100, help="cells per sweep axis (300: Brian2's job)")
parser.add_argument("--scale", type=float, default=1.0, help="COBA-HH size, 4000·scale neurons")
args = parser.parse_args()

net = hhsim.cobahh(scale=args.scale, duration=1000.0, progress=True)
print(net)
fig, ax = plt.subplots(figsize=(10, 5))
hhsim.plot.raster(net, ax=ax)
ax.set_title(f"COBA-HH, {net.summary['n_neurons']} neurons")
fig.savefig("cobahh_raster.png", dpi=120)

sweep = hhsim.sweep(axes=[("gna", 10, 100, args.grid), ("current", 0, 20, args.grid)],
                    duration=1000.0, progress=True)
print(sweep)
fig, ax = plt.subplots(figsize=(6, 5))
hhsim.plot.heatmap(sweep, ax=ax)
ax.set_xlabel("gNa (mS/cm²)")
ax.set_ylabel("I (pA)")
fig.savefig("sweep_rates.png", dpi=120)
