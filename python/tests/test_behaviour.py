"""What a Python user relies on beyond the numbers: the GIL is released during a run, Ctrl-C
stops a sweep within a chunk, bad input is a one-line ValueError, one device serves every
call, notes become warnings, progress reaches tqdm or a callable."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pytest

import hhsim
from hhsim import _hhsim


def test_the_gil_is_released_while_a_run_steps(backend):
    ticks = 0
    running = threading.Event()
    stop = threading.Event()

    def count():
        nonlocal ticks
        running.set()
        while not stop.is_set():
            ticks += 1

    thread = threading.Thread(target=count)
    thread.start()
    running.wait()
    try:
        before = ticks
        started = time.perf_counter()
        hhsim.sweep(axes=[("gna", 10, 100, 40), ("current", 0, 20, 40)], duration=1000.0,
                    backend=backend)
        elapsed = time.perf_counter() - started
        during = ticks - before
    finally:
        stop.set()
        thread.join()
    # With the GIL held for the whole call the thread could not count at all; a free thread
    # counts millions of times per second, so 10 000 per second of run is a wide margin.
    assert elapsed > 0.05, "the run is too short to tell"
    assert during > 10_000 * elapsed, (during, elapsed)


def test_ctrl_c_stops_a_long_sweep_within_one_chunk(backend):
    calls = []
    at_signal = []

    def progress(done, total):
        calls.append(done)

    def interrupt():
        while len(calls) < 2:
            time.sleep(0.001)
        at_signal.append(len(calls))
        os.kill(os.getpid(), signal.SIGINT)

    # Ctrl-C as an interactive Python handles it: a shell that starts a process in the
    # background makes it ignore SIGINT, and this test may run in one.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    killer = threading.Thread(target=interrupt)
    killer.start()
    started = time.perf_counter()
    try:
        # 1000 chunks of 90 cells: minutes to finish, so only the interrupt can end it early.
        with pytest.raises(KeyboardInterrupt):
            hhsim.sweep(chunk_cells=90, backend=backend, progress=progress)
    finally:
        killer.join()
        signal.signal(signal.SIGINT, previous)
    assert time.perf_counter() - started < 60
    # The signal is seen at the end of the chunk that was running when it came: the callback
    # may have been called once more before that, never later.
    assert len(calls) <= at_signal[0] + 1, (calls, at_signal)
    assert calls[-1] < 90_000


BAD_INPUT = [
    (hhsim.neuron, dict(dt=0.0), "--dt 0"),
    (hhsim.neuron, dict(dt=-0.1), "--dt -0.1"),
    (hhsim.neuron, dict(dt=float("nan")), "--dt NaN"),
    (hhsim.neuron, dict(dt=5.0, duration=1.0), "--dt 5"),
    (hhsim.neuron, dict(duration=0.0), "--duration 0"),
    (hhsim.neuron, dict(duration=-10.0), "--duration -10"),
    (hhsim.neuron, dict(model="izhikevich"), "--model izhikevich: expected a bundled model (traub, hh"),
    (hhsim.neuron, dict(model="traub_km", set={"gM": 3.0}), "a parameter of traub_km"),
    (hhsim.neuron, dict(method="leapfrog"), "leapfrog"),
    (hhsim.neuron, dict(precision="f16"), "f16"),
    (hhsim.neuron, dict(sections=[0, 1, 2], section_durations=[10, 2]),
     "--sections has 3 values but --section-durations has 2"),
    (hhsim.neuron, dict(pulses=[10, 20], pulse_width=-1.0), "--pulse-width -1"),
    (hhsim.neuron, dict(current=[1.0] * 2000, duration=10000.0), "--record-every 1"),
    (hhsim.neuron, dict(set={"vt": 3.0}), "--set vt=3"),
    (hhsim.neuron, dict(init="sweep"), "--init sweep"),
    (hhsim.neuron, dict(current="two"), "two"),
    (hhsim.sweep, dict(axes=[("gna", 10, 100, 0)]), "gna=10:100:0"),
    (hhsim.sweep, dict(axes=[("gna", 100, 10, 5)]), "gna=100:10:5"),
    (hhsim.sweep, dict(axes=[("gx", 1, 2, 3)]), "a parameter of traub: area, c, gna"),
    (hhsim.sweep, dict(axes=[("gna", 10, 100)]), "(name, start, stop, count)"),
    (hhsim.sweep, dict(axes=[("temperature", 6, 30, 5)]), "temperature"),
    (hhsim.sweep, dict(axes=[("gna", 10, 100, 3)], set={"gna": 4}), "--set gna=4"),
    (hhsim.sweep, dict(chunk_cells=0), "--chunk-cells 0"),
    (hhsim.cobahh, dict(p=1.5, duration=10.0), "probability 1.5"),
    (hhsim.cobahh, dict(scale=0.0001, duration=10.0), "--scale 0.0001"),
    (hhsim.cobahh, dict(in_degree=5000, duration=10.0), "--in-degree 5000: expected at most 4001"),
    (hhsim.cobahh, dict(we=-1.0, duration=10.0), "weight"),
    (hhsim.cobahh, dict(tau_i=-10.0, duration=10.0), "--tau-i -10"),
    (hhsim.cobahh, dict(record_v=[4000], duration=10.0), "recorded neuron 4000"),
    (hhsim.cobahh, dict(scale=100000.0, duration=10.0), "of memory"),
    (hhsim.validate, dict(neurons=1), "--neurons 1"),
]


@pytest.mark.parametrize("call, options, mentions", BAD_INPUT,
                         ids=[f"{c.__name__}-{m}" for c, _, m in BAD_INPUT])
def test_bad_input_raises_a_one_line_value_error(call, options, mentions):
    with pytest.raises(ValueError) as raised:
        call(**options)
    message = str(raised.value)
    assert "\n" not in message, message
    assert mentions in message, message


def test_a_bad_network_raises_value_error():
    net = hhsim.Network()
    net.group("E", 10)
    with pytest.raises(ValueError, match="group 'X'"):
        net.connect("E", "X", weight=1.0, p=0.1)
    net.connect("E", "E", weight=1.0, p=1.5)
    with pytest.raises(ValueError, match="probability 1.5"):
        net.run(duration=10.0)


def test_calls_in_a_row_reuse_one_device(backend):
    if backend != "gpu":
        pytest.skip("no GPU adapter here")
    for precision in ("f32", "f64"):
        hhsim.neuron(duration=5.0, backend="gpu", precision=precision)
        hhsim.cobahh(scale=0.1, duration=5.0, backend="gpu", precision=precision)
    assert _hhsim.devices_opened() == 1


def test_a_cpu_fallback_is_a_warning_not_a_print(capfd):
    with pytest.warns(RuntimeWarning, match="CPU reference backend only"):
        hhsim.neuron(method="rk2", duration=5.0)
    assert capfd.readouterr().err == ""


def test_progress_reaches_a_callable_and_tqdm(backend, capfd):
    seen = []
    hhsim.cobahh(scale=0.1, duration=50.0, backend=backend,
                 progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (500, 500)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    hhsim.sweep(axes=[("gna", 10, 100, 10)], duration=50.0, chunk_cells=3, progress=True,
                backend=backend)
    assert "10/10" in capfd.readouterr().err
    hhsim.sweep(axes=[("gna", 10, 100, 10)], duration=50.0, backend=backend)
    assert capfd.readouterr().err == "", "nothing is printed without progress=True"


def test_a_network_built_in_python_reproduces_cobahh(backend):
    """The NetworkBuilder from Python: COBA-HH (BrainPy's variant) written out by hand gives
    the spikes of `cobahh`, since the same seed samples the same network."""
    n, n_e = 400, 320
    p = 80 / n
    net = hhsim.Network(seed=5)
    e = net.group("E", n_e, v=(-65.0, 5.0))
    i = net.group("I", n - n_e, v=(-65.0, 5.0))
    for pre, weight, receptor in [(e, 6.0, "excitatory"), (i, 67.0, "inhibitory")]:
        for post in (e, i):
            net.connect(pre, post, weight=weight, p=p, receptor=receptor)
    built = net.run(duration=100.0, precision="f64", backend=backend, record_v=[1])
    reference = hhsim.cobahh(variant="brainpy", scale=0.1, seed=5, duration=100.0,
                             precision="f64", backend=backend)
    assert built.spikes.i.size > 0
    np.testing.assert_array_equal(built.spikes.i, reference.spikes.i)
    np.testing.assert_array_equal(built.spikes.t, reference.spikes.t)
    assert built.rates == reference.rates
    assert built.trace.v.shape == (1, 1000)


def test_a_network_of_a_model_file_with_its_own_parameters_and_initial_values(backend):
    net = hhsim.Network(seed=2, model="traub_km", set={"gm": 0.1})
    a = net.group("A", 50, v=(-60.0, 2.0), init={"p": 0.05, "ge": (20.0, 1.0)},
                  set={"gm": 0.0}, current=200.0)
    b = net.group("B", 50, v=(-60.0, 2.0), init={"p": 0.05}, current=200.0)
    net.connect(a, b, weight=2.0, p=0.1, receptor="ge")
    r = net.run(duration=20.0, precision="f64", backend=backend, record_v=[0, 50])
    # Both groups are driven to fire, and p starts where init put it.
    assert r.rates["A"] > 0 and r.rates["B"] > 0
    np.testing.assert_array_equal(r.trace.p[:, 0], [0.05, 0.05])
    # Group A starts with ge ≈ 20 nS, B with none.
    assert 15.0 < r.trace.ge[0, 0] < 25.0 and r.trace.ge[1, 0] == 0.0
    with pytest.raises(ValueError, match="gampa"):
        bad = hhsim.Network(model="traub_km")
        g = bad.group("A", 10)
        bad.connect(g, g, weight=1.0, p=0.5, receptor="gampa")
        bad.run(duration=1.0, backend=backend)


def test_results_describe_themselves():
    r = hhsim.neuron(duration=5.0, current=[1.0, 2.0])
    assert "neurons=2" in repr(r) and "samples=500" in repr(r)
    assert "<table>" in r._repr_html_()
    with pytest.raises(ValueError, match="read-only"):
        r.v[0, 0] = 1.0


@pytest.mark.parametrize("model", ["traub", "traub_km"])
def test_every_result_describes_itself_for_built_in_and_file_models(model, backend):
    def network() -> hhsim.NetworkResult:
        net = hhsim.Network(model=model)
        g = net.group("A", 20, current=200.0)
        net.connect(g, g, weight=1.0, p=0.1)
        return net.run(duration=5.0, backend=backend)

    axis = ("gna", 10, 100, 3) if model == "traub" else ("gm", 0, 50, 11)
    results = {
        "NeuronResult": hhsim.neuron(model=model, duration=5.0, current=[1.0], backend=backend),
        "SweepResult": hhsim.sweep(model=model, axes=[axis], duration=20.0, backend=backend),
        "NetworkResult": hhsim.cobahh(model=model, scale=0.05, duration=5.0, backend=backend),
        "network": network(),
        "ValidationReport": hhsim.validate(model=model, neurons=4, duration=5.0),
    }
    for name, r in results.items():
        text = repr(r)
        assert text.startswith(type(r).__name__ + "("), (name, text)
        assert "<table>" in r._repr_html_(), name
    sweep = results["SweepResult"]
    # A rate is a count over the run's 20 ms.
    np.testing.assert_allclose(sweep.rates, sweep.counts / 0.02)
    assert f"model={model}" in repr(sweep)


def test_cobahh_runs_a_model_file_and_names_its_trace_variables(backend):
    n = hhsim.cobahh(model="traub_km", scale=0.1, duration=20.0, record_v=[0], backend=backend)
    p = n.trace.p  # the M-current's gate
    assert p.shape == (1, 200)
    assert np.all((p > 0) & (p < 1))
    assert list(n.trace.states) == ["v", "m", "h", "n", "p", "ge", "gi"]
    with pytest.raises(AttributeError, match="v, m, h, n, p, ge, gi"):
        n.trace.q


def test_plot_helpers_draw_what_the_pngs_show(backend):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    n = hhsim.cobahh(scale=0.1, duration=50.0, backend=backend)
    ax = hhsim.plot.raster(n)
    assert len(ax.collections) == 2  # one scatter per group
    s = hhsim.sweep(axes=[("gna", 10, 100, 5), ("current", 0, 20, 4)], duration=50.0,
                    backend=backend)
    ax = hhsim.plot.heatmap(s)
    assert ax.images[0].get_array().shape == (4, 5)
    r = hhsim.neuron(duration=20.0, current=[5.0, 10.0])
    ax = hhsim.plot.traces(r)
    assert len(ax.lines) == 2


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """`code` in a fresh Python process (a fresh device cache), with extra environment; run
    outside the source tree, whose `hhsim/` lacks the built extension."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120, cwd=tempfile.gettempdir())


def test_no_gpu_for_backend_gpu_is_a_runtime_error_with_advice():
    done = run_python(
        "import hhsim\n"
        "try:\n"
        "    hhsim.neuron(duration=5.0, backend='gpu')\n"
        "except RuntimeError as e:\n"
        "    print(e)\n",
        WGPU_ADAPTER_NAME="no-such-adapter",
    )
    assert done.returncode == 0, done.stderr
    assert "no GPU adapter" in done.stdout and "mesa-vulkan-drivers" in done.stdout, done.stdout


def test_a_forked_child_opens_its_own_device(backend):
    if backend != "gpu":
        pytest.skip("no GPU adapter here")
    done = run_python(
        "import os, hhsim\n"
        "from hhsim import _hhsim\n"
        "before = hhsim.neuron(duration=20.0, backend='gpu').spikes.t\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    child = hhsim.neuron(duration=20.0, backend='gpu').spikes.t\n"
        "    os._exit(0 if (child == before).all() and _hhsim.devices_opened() == 2 else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "after = hhsim.neuron(duration=20.0, backend='gpu').spikes.t\n"
        "print(os.waitstatus_to_exitcode(status), (after == before).all(), _hhsim.devices_opened())\n",
    )
    assert done.returncode == 0, done.stderr
    # The child ran on a device of its own (its second open) and exited cleanly; the parent's
    # device still works after the child is gone, and was opened once.
    assert done.stdout.split() == ["0", "True", "1"], done.stdout
