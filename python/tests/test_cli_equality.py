"""The same run from Python and from the command line gives identical arrays, and `.save`
writes the command line's files."""

import json

import numpy as np

import hhsim


def assert_npz_equal(a, b):
    with np.load(a) as x, np.load(b) as y:
        assert sorted(x.files) == sorted(y.files)
        for name in x.files:
            np.testing.assert_array_equal(x[name], y[name], err_msg=name)


def test_neuron_arrays_equal_the_cli_files(cli, backend, tmp_path):
    r = hhsim.neuron(
        model="traub", current=[0.0, 10.0, 20.0, 40.0], duration=100.0, dt=0.1,
        precision="f64", backend=backend, record_every=2, set={"gl": 0.06},
    )
    out = tmp_path / "cli"
    cli("neuron", "--model", "traub", "--current", "0,10,20,40", "--duration", "100",
        "--dt", "0.1", "--precision", "f64", "--backend", backend, "--record-every", "2",
        "--set", "gl=0.06", "--out", str(out))
    with np.load(out / "spikes.npz") as spikes, np.load(out / "trace.npz") as trace:
        # Identical, not close: the same run on the same device in f64.
        assert r.spikes.i.dtype == np.uint32 and r.spikes.t.dtype == np.float64
        np.testing.assert_array_equal(r.spikes.i, spikes["i"])
        np.testing.assert_array_equal(r.spikes.t, spikes["t"])
        for name in ("t", "v", "m", "h", "n"):
            np.testing.assert_array_equal(getattr(r, name), trace[name], err_msg=name)
    assert r.spikes.i.size > 0
    r.save(tmp_path / "py")
    assert_npz_equal(tmp_path / "py" / "spikes.npz", out / "spikes.npz")
    assert_npz_equal(tmp_path / "py" / "trace.npz", out / "trace.npz")
    assert (tmp_path / "py" / "trace.png").stat().st_size > 0
    assert json.loads((tmp_path / "py" / "summary.json").read_text())["spike_counts"] == r.summary["spike_counts"]


def test_sweep_counts_equal_the_cli_files(cli, backend, tmp_path):
    s = hhsim.sweep(axes=[("gna", 10, 100, 12), ("current", 0, 20, 7)], duration=200.0,
                    precision="f64", backend=backend)
    out = tmp_path / "cli"
    cli("sweep", "--axis", "gna=10:100:12", "--axis", "current=0:20:7", "--duration", "200",
        "--precision", "f64", "--backend", backend, "--out", str(out))
    expected = np.load(out / "spike_counts.npy")
    assert s.counts.shape == (7, 12) and s.counts.dtype == np.uint32
    np.testing.assert_array_equal(s.counts, expected)
    np.testing.assert_array_equal(s.axes["gna"], np.load(out / "gna.npy"))
    np.testing.assert_array_equal(s.axes["current"], np.load(out / "current.npy"))
    assert s.counts.sum() > 0
    s.save(tmp_path / "py")
    np.testing.assert_array_equal(np.load(tmp_path / "py" / "spike_counts.npy"), expected)
    assert (tmp_path / "py" / "rates.png").exists()


def test_cobahh_spikes_equal_the_cli_files(cli, backend, tmp_path):
    n = hhsim.cobahh(scale=0.1, duration=100.0, seed=3, precision="f64", backend=backend,
                     record_v=[0, 399])
    out = tmp_path / "cli"
    cli("cobahh", "--scale", "0.1", "--duration", "100", "--seed", "3", "--precision", "f64",
        "--backend", backend, "--record-v", "0,399", "--out", str(out))
    with np.load(out / "spikes.npz") as spikes:
        np.testing.assert_array_equal(n.spikes.i, spikes["i"])
        np.testing.assert_array_equal(n.spikes.t, spikes["t"])
    with np.load(out / "trace.npz") as trace:
        assert sorted(trace.files) == sorted(["neuron", "t", *n.trace.states])
        for name in trace.files:
            np.testing.assert_array_equal(getattr(n.trace, name), trace[name], err_msg=name)
    summary = json.loads((out / "summary.json").read_text())
    assert n.rates == {g["name"]: g["rate_hz"] for g in summary["groups"]}
    assert n.spikes.i.size > 0
    n.save(tmp_path / "py")
    assert_npz_equal(tmp_path / "py" / "spikes.npz", out / "spikes.npz")
    assert_npz_equal(tmp_path / "py" / "trace.npz", out / "trace.npz")


def test_a_model_file_from_python_equals_the_cli(cli, backend, tmp_path):
    from conftest import ROOT

    path = ROOT / "models" / "traub_km.toml"
    r = hhsim.neuron(model=str(path), current=[50.0, 150.0], duration=100.0, dt=0.05,
                     precision="f64", backend=backend, set={"gm": 0.15})
    out = tmp_path / "cli"
    cli("neuron", "--model", str(path), "--current", "50,150", "--duration", "100", "--dt",
        "0.05", "--precision", "f64", "--backend", backend, "--set", "gm=0.15", "--out", str(out))
    assert list(r.states) == ["v", "m", "h", "n", "p"]
    with np.load(out / "trace.npz") as trace, np.load(out / "spikes.npz") as spikes:
        for name, values in r.states.items():
            np.testing.assert_array_equal(values, trace[name], err_msg=name)
        np.testing.assert_array_equal(r.spikes.t, spikes["t"])
    assert r.spikes.i.size > 0
    assert r.summary["params"]["gm"] == 0.15


def test_a_sweep_of_a_model_file_equals_the_cli(cli, backend, tmp_path):
    s = hhsim.sweep(model="traub_km", axes=[("gm", 0, 0.5, 6), ("current", 0, 300, 4)],
                    duration=300.0, precision="f64", backend=backend)
    out = tmp_path / "cli"
    cli("sweep", "--model", "traub_km", "--axis", "gm=0:0.5:6", "--axis", "current=0:300:4",
        "--duration", "300", "--precision", "f64", "--backend", backend, "--out", str(out))
    np.testing.assert_array_equal(s.counts, np.load(out / "spike_counts.npy"))
    np.testing.assert_array_equal(s.axes["gm"], np.load(out / "gm.npy"))
    assert s.counts.shape == (4, 6) and s.counts.sum() > 0
    # The M-current adapts: at the highest current, more gM never gives more spikes.
    assert (np.diff(s.counts[-1].astype(int)) <= 0).all(), s.counts[-1]
