"""The calls and result types of ``import hhsim``. Each call takes the CLI's options as keywords
(``-`` → ``_``; ``None`` keeps the CLI's default) and returns NumPy arrays that borrow the run's
memory (read-only, no copy)."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Iterator, NamedTuple

import numpy as np

from . import _hhsim
from ._options import argv, axes as axis_args, overrides
from ._progress import Progress, reporter

PathLike = str | os.PathLike


@contextmanager
def _notes() -> Iterator[None]:
    """Turns the notes a run leaves (e.g. a fallback to the CPU) into ``warnings.warn``."""
    try:
        yield
    finally:
        for note in _hhsim.take_notes():
            warnings.warn(note, RuntimeWarning, stacklevel=4)


class Spikes(NamedTuple):
    """Spikes as Brian2's ``SpikeMonitor`` gives them, sorted by time then neuron."""

    i: np.ndarray
    """Neuron index of each spike (uint32)."""
    t: np.ndarray
    """Time of each spike [ms] (float64)."""


def _html_table(title: str, rows: Sequence[tuple[str, object]]) -> str:
    cells = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<b>{title}</b><table>{cells}</table>"


class NeuronResult:
    """The result of :func:`neuron`: spikes and the state recorded every ``record_every`` steps."""

    def __init__(self, raw: Any):
        self._raw = raw
        self.spikes = Spikes(raw.spike_i, raw.spike_t)
        self.t: np.ndarray = raw.t
        """Sample times [ms], shape (samples,)."""
        self.states: dict[str, np.ndarray] = {name: raw.trace(name) for name in raw.state_names()}
        """Every state variable (v first, then the model's gates), shape (neurons, samples)."""
        self.v: np.ndarray = self.states["v"]
        """Membrane potential [mV], shape (neurons, samples)."""
        # The gates of the built-in models (and of model files that name them so).
        self.m: np.ndarray | None = self.states.get("m")
        self.h: np.ndarray | None = self.states.get("h")
        self.n: np.ndarray | None = self.states.get("n")
        self.summary: dict = json.loads(raw.summary_json())
        """What summary.json holds: counts, rates, parameters, backend, timings."""

    def save(self, dir: PathLike) -> None:
        """Writes the CLI's files: trace.npz, spikes.npz, trace.png, summary.json."""
        self._raw.save(os.fspath(dir))

    def _facts(self) -> list[tuple[str, object]]:
        s = self.summary
        return [
            ("neurons", s["n_neurons"]),
            ("samples", self.t.size),
            ("spikes", self.spikes.i.size),
            ("backend", f"{s['backend']} ({s['precision']}, {s['method']})"),
            ("wall", f"{s['wall_s']:.3g} s"),
        ]

    def __repr__(self) -> str:
        return "NeuronResult(" + ", ".join(f"{k}={v}" for k, v in self._facts()) + ")"

    def _repr_html_(self) -> str:
        return _html_table("hhsim neuron run", self._facts())


class SweepResult:
    """The result of :func:`sweep`: the spike count of every cell of the grid."""

    def __init__(self, raw: Any):
        self._raw = raw
        self.counts: np.ndarray = raw.counts
        """Spike counts (uint32): rows = second axis, columns = first (as spike_counts.npy);
        1-D for one axis."""
        self.axes: dict[str, np.ndarray] = {
            name: raw.axis(k) for k, name in enumerate(raw.axis_names())
        }
        """Each axis's values, first axis first."""
        self.summary: dict = json.loads(raw.summary_json())

    @property
    def rates(self) -> np.ndarray:
        """Firing rates [Hz], shaped as :attr:`counts`."""
        s = self.summary
        return self.counts / (s["n_steps"] * s["dt_ms"] / 1000.0)

    def save(self, dir: PathLike) -> None:
        """Writes the CLI's files: spike_counts.npy, one .npy per axis, rates.png, summary.json,
        sweep.json."""
        self._raw.save(os.fspath(dir))

    def _facts(self) -> list[tuple[str, object]]:
        s = self.summary
        shape = " × ".join(f"{n} {name}" for name, n in zip(self.axes, [a.size for a in self.axes.values()]))
        return [
            ("grid", shape),
            ("spikes", s["total_spikes"]),
            ("model", s["model"]),
            ("backend", f"{s['backend']} ({s['precision']}, {s['method']})"),
            ("wall", f"{s['wall_s']:.3g} s"),
        ]

    def __repr__(self) -> str:
        return "SweepResult(" + ", ".join(f"{k}={v}" for k, v in self._facts()) + ")"

    def _repr_html_(self) -> str:
        return _html_table("hhsim sweep", self._facts())


class NetworkTrace:
    """Recorded neurons: ``neuron`` (indices), ``t`` [ms], and each variable of the model
    (Traub: v [mV], m, h, n, ge and gi [nS]) shaped (recorded, samples), in ``states`` and as
    attributes (``trace.v``)."""

    def __init__(self, neuron: np.ndarray, t: np.ndarray, states: dict[str, np.ndarray]):
        self.neuron = neuron
        self.t = t
        self.states = states

    def __getattr__(self, name: str) -> np.ndarray:
        states = self.__dict__.get("states", {})
        if name in states:
            return states[name]
        raise AttributeError(
            f"no traced variable {name!r}; the model's are {', '.join(states)}"
        )


class NetworkResult:
    """The result of :func:`cobahh` or :meth:`Network.run`."""

    def __init__(self, raw: Any):
        self._raw = raw
        self.spikes = Spikes(raw.spike_i, raw.spike_t)
        self.summary: dict = json.loads(raw.summary_json())
        self.groups: dict[str, range] = {
            name: range(start, start + size) for name, start, size in raw.groups()
        }
        """Each group's neurons, by name."""
        self.rates: dict[str, float] = {g["name"]: g["rate_hz"] for g in self.summary["groups"]}
        """Mean firing rate of each group [Hz]."""
        self.trace: NetworkTrace | None = (
            NetworkTrace(
                raw.trace("neuron"),
                raw.trace("t"),
                {name: raw.trace(name) for name in raw.trace_names()},
            )
            if raw.has_trace()
            else None
        )
        """The recorded neurons (``record_v``), or None."""

    def save(self, dir: PathLike) -> None:
        """Writes the CLI's files: spikes.npz, raster.png, summary.json and, with recorded
        neurons, trace.npz."""
        self._raw.save(os.fspath(dir))

    def _facts(self) -> list[tuple[str, object]]:
        s = self.summary
        rates = ", ".join(f"{k} {v:.1f} Hz" for k, v in self.rates.items())
        return [
            ("neurons", s["n_neurons"]),
            ("synapses", s["n_synapses"]),
            ("spikes", s["total_spikes"]),
            ("rates", rates),
            ("backend", f"{s['backend']} ({s['precision']}, {s['method']})"),
            ("wall", f"{s['wall_s']:.3g} s"),
        ]

    def __repr__(self) -> str:
        return "NetworkResult(" + ", ".join(f"{k}={v}" for k, v in self._facts()) + ")"

    def _repr_html_(self) -> str:
        return _html_table("hhsim network run", self._facts())


class ValidationReport:
    """The result of :func:`validate`: the CPU-vs-GPU checks of ``hhsim validate``."""

    def __init__(self, passed: bool, adapter: dict, table: list[dict]):
        self.passed = passed
        """Whether every check passed (skipped ones do not fail)."""
        self.adapter = adapter
        self.table = table
        """One dict per check: check, size, precision, metric, limit, pass (None: skipped)."""

    def __repr__(self) -> str:
        lines = [f"ValidationReport(passed={self.passed}, adapter={self.adapter['name']!r})"]
        for row in self.table:
            mark = {True: "yes", False: "NO", None: "skipped"}[row["pass"]]
            lines.append(f"  {row['check']:<48} {row['precision']:<5} {row['metric']:<44} {mark}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{k}</th>" for k in ("check", "size", "precision", "metric", "limit", "pass"))
        body = "".join(
            "<tr>" + "".join(f"<td>{row[k]}</td>" for k in ("check", "size", "precision", "metric", "limit", "pass")) + "</tr>"
            for row in self.table
        )
        return f"<b>hhsim validate: {'passed' if self.passed else 'FAILED'}</b><table><tr>{head}</tr>{body}</table>"


def neuron(
    *,
    model: str | None = None,
    current: float | Sequence[float] | np.ndarray | None = None,
    duration: float | None = None,
    dt: float | None = None,
    method: str | None = None,
    precision: str | None = None,
    backend: str | None = None,
    record_every: int | None = None,
    set: Mapping[str, float] | None = None,
    temperature: float | None = None,
    init: str | None = None,
    threshold: float | None = None,
    sections: Sequence[float] | None = None,
    section_durations: Sequence[float] | None = None,
    pulses: Sequence[float] | None = None,
    pulse_width: float | None = None,
    pulse_amplitude: float | None = None,
    noise: float | None = None,
    seed: int | None = None,
) -> NeuronResult:
    """Independent neurons, one per ``current`` value, as ``hhsim neuron``."""
    options = dict(locals())
    options.pop("set")
    if isinstance(current, (int, float)) and not isinstance(current, bool):
        options["current"] = [current]
    with _notes():
        return NeuronResult(_hhsim.neuron(argv(options) + overrides(set)))


def sweep(
    *,
    axes: Iterable[tuple[str, float, float, int]] | None = None,
    duration: float | None = None,
    dt: float | None = None,
    precision: str | None = None,
    model: str | None = None,
    method: str | None = None,
    backend: str | None = None,
    set: Mapping[str, float] | None = None,
    temperature: float | None = None,
    sections: Sequence[float] | None = None,
    section_durations: Sequence[float] | None = None,
    pulses: Sequence[float] | None = None,
    pulse_width: float | None = None,
    pulse_amplitude: float | None = None,
    noise: float | None = None,
    seed: int | None = None,
    chunk_cells: int | None = None,
    progress: Progress = None,
) -> SweepResult:
    """A grid of uncoupled neurons, as ``hhsim sweep``; without ``axes``, the published
    300 × 300 gNa × I job. ``progress=True`` shows a tqdm bar; a callable gets (done, total)
    cells. Ctrl-C stops the run between chunks."""
    options = dict(locals())
    for key in ("axes", "set", "progress"):
        options.pop(key)
    with _notes(), reporter(progress, "cells") as callback:
        raw = _hhsim.sweep(argv(options) + axis_args(axes) + overrides(set), callback)
    return SweepResult(raw)


def cobahh(
    *,
    model: str | None = None,
    variant: str | None = None,
    scale: float | None = None,
    duration: float | None = None,
    seed: int | None = None,
    precision: str | None = None,
    method: str | None = None,
    backend: str | None = None,
    dt: float | None = None,
    fixed_p: bool = False,
    p: float | None = None,
    in_degree: int | None = None,
    we: float | None = None,
    wi: float | None = None,
    tau_e: float | None = None,
    tau_i: float | None = None,
    current: float | None = None,
    set: Mapping[str, float] | None = None,
    record_v: Sequence[int] | None = None,
    record_every: int | None = None,
    progress: Progress = None,
) -> NetworkResult:
    """The COBA-HH benchmark network, as ``hhsim cobahh``. ``progress=True`` shows a tqdm
    bar; a callable gets (done, total) steps. Ctrl-C stops the run between chunks."""
    options = dict(locals())
    for key in ("set", "progress"):
        options.pop(key)
    with _notes(), reporter(progress, "steps") as callback:
        raw = _hhsim.cobahh(argv(options) + overrides(set), callback)
    return NetworkResult(raw)


def validate(
    *,
    neurons: int | None = None,
    duration: float | None = None,
    model: str | None = None,
    set: Mapping[str, float] | None = None,
) -> ValidationReport:
    """The CPU-vs-GPU checks of ``hhsim validate`` on this machine's GPU adapter."""
    with _notes():
        options = argv(dict(neurons=neurons, duration=duration, model=model))
        passed, adapter, table = _hhsim.validate(options + overrides(set))
    return ValidationReport(passed, json.loads(adapter), json.loads(table))


def devices() -> list[dict]:
    """Every GPU adapter wgpu finds, as ``hhsim devices``; ``picked`` marks the one
    ``backend="auto"`` uses."""
    return json.loads(_hhsim.devices())


class Network:
    """A network of neurons of one model (Traub–Miles by default, or any model file with
    ``[[synapse]]``s) with exponential conductance synapses: groups, and projections between
    them (fixed probability or fixed in-degree; a constant weight or one drawn uniformly from
    (low, high) [nS]; onto a synapse of the model). The same seed gives the same network on
    every backend. ``tau_e``, ``tau_i``, ``e_e``, ``e_i`` change the synapses ``ge`` and ``gi``
    (default: the model's, 5 and 10 ms, 0 and −80 mV for Traub); ``set`` the parameters of
    every neuron."""

    def __init__(
        self,
        seed: int = 0,
        *,
        model: str = "traub",
        set: Mapping[str, float] | None = None,
        tau_e: float | None = None,
        tau_i: float | None = None,
        e_e: float | None = None,
        e_i: float | None = None,
    ):
        self.seed = seed
        self.model = model
        self.set = dict(set or {})
        self.synapses = dict(tau_e=tau_e, tau_i=tau_i, e_e=e_e, e_i=e_i)
        self._groups: list[dict] = []
        self._projections: list[dict] = []

    def group(
        self,
        name: str,
        size: int,
        *,
        v: tuple[float, float] = (-65.0, 5.0),
        ge: tuple[float, float] | None = None,
        gi: tuple[float, float] | None = None,
        gates: tuple[float, float, float] | None = None,
        init: Mapping[str, float | tuple[float, float]] | None = None,
        set: Mapping[str, float] | None = None,
        refractory: float = 0.0,
        current: float = 0.0,
    ) -> int:
        """Adds ``size`` neurons; initial V [mV], ge and gi [nS] are drawn as (mean, sd) (ge
        and gi 0 ± 0 by default), ``gates`` fixes m, h, n (default: the model's initial
        values), and ``init`` sets any variable of the model by name, to a number or drawn as
        (mean, sd). ``set`` overrides parameters of this group. ``refractory`` [ms]: no spike
        within that long after one (0: one spike per crossing). Returns the group's index."""
        if any(g["name"] == name for g in self._groups):
            raise ValueError(f"invalid group name {name!r}: expected a name not used yet")
        values = [
            (k, [float(x)] if isinstance(x, (int, float)) else [float(y) for y in x])
            for k, x in (init or {}).items()
        ]
        self._groups.append(
            dict(
                name=name, size=size, v=list(v),
                ge=None if ge is None else list(ge),
                gi=None if gi is None else list(gi),
                gates=None if gates is None else list(gates),
                init=values, set=[(k, float(x)) for k, x in (set or {}).items()],
                refractory=refractory, current=current,
            )
        )
        return len(self._groups) - 1

    def _index(self, group: str | int) -> int:
        if isinstance(group, int):
            if not 0 <= group < len(self._groups):
                raise ValueError(f"invalid group {group}: expected an index below {len(self._groups)}")
            return group
        for k, g in enumerate(self._groups):
            if g["name"] == group:
                return k
        names = ", ".join(g["name"] for g in self._groups)
        raise ValueError(f"invalid group {group!r}: expected one of {names}")

    def connect(
        self,
        pre: str | int,
        post: str | int,
        *,
        weight: float | tuple[float, float],
        p: float | None = None,
        in_degree: int | None = None,
        receptor: str = "excitatory",
        autapses: bool = True,
    ) -> None:
        """Synapses from every neuron of ``pre`` to ``post``: each pair with probability ``p``,
        or exactly ``in_degree`` inputs per post neuron, onto the model's synapse ``receptor``
        (by name; ``"excitatory"`` and ``"inhibitory"`` are ``ge`` and ``gi``)."""
        weights = list(weight) if isinstance(weight, (tuple, list)) else [weight]
        self._projections.append(
            dict(
                pre=self._index(pre), post=self._index(post), p=p, in_degree=in_degree,
                weight=weights, receptor=receptor, autapses=autapses,
            )
        )

    def run(
        self,
        *,
        duration: float = 1000.0,
        dt: float = 0.1,
        method: str = "exp-euler",
        precision: str = "f32",
        backend: str = "auto",
        record_v: Sequence[int] = (),
        record_every: int = 1,
        progress: Progress = None,
    ) -> NetworkResult:
        """Samples the network from its seed and runs it."""
        spec = dict(
            seed=self.seed,
            model=self.model,
            set=[(k, float(x)) for k, x in self.set.items()],
            synapses=self.synapses,
            groups=self._groups,
            projections=self._projections,
            run=dict(
                duration=duration, dt=dt, method=method, precision=precision, backend=backend,
                record_v=[int(i) for i in record_v], record_every=record_every,
            ),
        )
        with _notes(), reporter(progress, "steps") as callback:
            raw = _hhsim.run_network(json.dumps(spec), callback)
        return NetworkResult(raw)

    def __repr__(self) -> str:
        groups = ", ".join(f"{g['name']}: {g['size']}" for g in self._groups)
        return f"Network(seed={self.seed}, groups=[{groups}], projections={len(self._projections)})"
