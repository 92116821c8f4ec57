"""hhsim: Hodgkin–Huxley neurons and networks on any GPU, validated against a CPU reference.

Every call takes the command line's options as keywords (``-`` → ``_``), in the CLI's units:
mV, ms, nS, pF, pA for the Traub–Miles model, per-area units (mS/cm², µF/cm², µA/cm²) for the
1952 model. ``None`` keeps the CLI's default. Bad input raises ValueError with the CLI's
one-line message; a missing GPU for ``backend="gpu"`` raises RuntimeError.
"""

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from . import plot as plot

__version__: str

Progress = bool | Callable[[int, int], object] | None

class Spikes(NamedTuple):
    """Spikes sorted by time then neuron, as Brian2's SpikeMonitor gives them."""

    i: np.ndarray
    """Neuron index of each spike (uint32)."""
    t: np.ndarray
    """Spike time [ms] (float64)."""

class NeuronResult:
    """The result of :func:`neuron`. Arrays are read-only views of the run's memory."""

    spikes: Spikes
    t: np.ndarray
    """Sample times [ms], shape (samples,)."""
    states: dict[str, np.ndarray]
    """Every state variable (v first, then the model's gates), shape (neurons, samples)."""
    v: np.ndarray
    """Membrane potential [mV], shape (neurons, samples)."""
    m: np.ndarray | None
    """The gates m, h, n of the built-in models (None where a model file has no such state)."""
    h: np.ndarray | None
    n: np.ndarray | None
    summary: dict
    """The contents of summary.json."""
    def save(self, dir: str | os.PathLike) -> None:
        """Writes trace.npz, spikes.npz, trace.png and summary.json, as ``hhsim neuron --out``."""

class SweepResult:
    """The result of :func:`sweep`."""

    counts: np.ndarray
    """Spike count per cell (uint32): rows = second axis, columns = first; 1-D for one axis."""
    axes: dict[str, np.ndarray]
    """Each axis's values, first axis first."""
    summary: dict
    @property
    def rates(self) -> np.ndarray:
        """Firing rates [Hz], shaped as ``counts``."""
    def save(self, dir: str | os.PathLike) -> None:
        """Writes spike_counts.npy, one .npy per axis, rates.png, summary.json and sweep.json."""

class NetworkTrace:
    """Recorded neurons; each variable of the model is shaped (recorded, samples), in
    ``states`` by name and as an attribute (``trace.v``)."""

    neuron: np.ndarray
    t: np.ndarray
    states: dict[str, np.ndarray]
    def __getattr__(self, name: str) -> np.ndarray: ...

class NetworkResult:
    """The result of :func:`cobahh` or :meth:`Network.run`."""

    spikes: Spikes
    rates: dict[str, float]
    """Mean firing rate of each group [Hz], e.g. {"E": 4.2, "I": 12.5}."""
    groups: dict[str, range]
    """Each group's neuron indices."""
    trace: NetworkTrace | None
    """The neurons recorded with ``record_v``, or None."""
    summary: dict
    """The contents of summary.json."""
    def save(self, dir: str | os.PathLike) -> None:
        """Writes spikes.npz, raster.png, summary.json and, with recorded neurons, trace.npz."""

class ValidationReport:
    """The result of :func:`validate`."""

    passed: bool
    """Whether every check passed (skipped ones do not fail)."""
    adapter: dict
    table: list[dict]
    """One dict per check: check, size, precision, metric, limit, pass (None when skipped)."""

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
    """Independent neurons, one per ``current`` value, as ``hhsim neuron``.

    Defaults (the CLI's): model "hh", dt 0.01 ms, duration 100 ms, exp-euler, f64, current 10
    µA/cm² (hh) or 20 pA (traub). ``model`` also takes a bundled model file ("traub_km",
    "hh_a") or the path of one. ``set={"gl": 0.3}`` overrides parameters by their sweep-axis
    names (a model file's by its own names)."""

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
    """A grid of uncoupled neurons, as ``hhsim sweep``. Without ``axes``: the published job,
    gNa 10…100 mS/cm² × I 0…20 pA, 300 × 300, 1 s, f32. An axis is (name, start, stop, count)
    with both ends included. ``progress=True`` shows a tqdm bar, a callable gets (done, total)
    cells; Ctrl-C raises KeyboardInterrupt between chunks."""

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
    """The COBA-HH benchmark network (4000·scale Traub–Miles neurons, 80 % excitatory), as
    ``hhsim cobahh``; ``model`` names another model file (bundled or a path) with synapses
    ``ge`` and ``gi``. Defaults: variant "brian2", 1 s, dt 0.1 ms, f32, seed 0."""

def validate(
    *,
    neurons: int | None = None,
    duration: float | None = None,
    model: str | None = None,
    set: Mapping[str, float] | None = None,
) -> ValidationReport:
    """The CPU-vs-GPU checks of ``hhsim validate`` (default 1000 neurons, 1000 ms), of the
    built-in models or of one ``model`` (``"traub"``, ``"hh"``, or a model file with ``set``
    parameters)."""

def devices() -> list[dict]:
    """Every GPU adapter: name, backend, device_type, driver, f64, subgroups, limits, and
    ``picked`` for the one ``backend="auto"`` uses."""

class Network:
    """Groups of neurons of one model (Traub–Miles by default, or a model file with
    ``[[synapse]]``s) and projections between them, sampled from ``seed``."""

    seed: int
    model: str
    set: dict
    synapses: dict
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
    ) -> None: ...
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
        """Adds ``size`` neurons with V [mV], ge, gi [nS] drawn as (mean, sd), any variable set
        by ``init`` and parameters by ``set``; returns the index."""
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
        """Synapses pre → post with probability ``p`` or ``in_degree`` inputs each; a weight [nS]
        or (low, high) drawn uniformly; receptor a synapse of the model ("excitatory" and
        "inhibitory" are ge and gi)."""
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
        """Samples the network and runs it."""
