"""Python against the command line on the same workloads, side by side on one machine.

For each workload it alternates, --repeat times: the `hhsim` process (spawn to exit, files
written), a fresh Python process that imports hhsim and makes the call (spawn to exit), and the
same call in this already-warm process. It prints the medians and Python's overhead relative to
the CLI process.

    python python/benchmarks/overhead.py --hhsim target/release/hhsim --repeat 5
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

import hhsim

WORKLOADS = {
    "sweep 300x300 f32 1 s": (["sweep"], "hhsim.sweep()"),
    "cobahh S=1 f32 1 s": (["cobahh"], "hhsim.cobahh()"),
}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hhsim", default="target/release/hhsim", help="the CLI binary")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'workload':<24} {'CLI process':>12} {'Python process':>15} {'call in process':>16} {'overhead':>9}")
    for name, (cli_args, call) in WORKLOADS.items():
        cli, fresh, warm = [], [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as out:
                cli.append(timed([args.hhsim, *cli_args, "--out", out]))
            fresh.append(timed([sys.executable, "-c", f"import hhsim; {call}"]))
            started = time.perf_counter()
            eval(call)
            warm.append(time.perf_counter() - started)
        c, f, w = (statistics.median(x) for x in (cli, fresh, warm))
        print(f"{name:<24} {c:>11.2f}s {f:>14.2f}s {w:>15.2f}s {100 * (f - c) / c:>+8.1f}%")
        for label, runs in (("CLI", cli), ("Python process", fresh), ("call", warm)):
            print(f"    {label}: " + ", ".join(f"{x:.2f}" for x in runs))


if __name__ == "__main__":
    main()
