"""Figures as the CLI's PNGs draw them, on matplotlib Axes (``pip install hhsim[plot]``). Each
helper draws on ``ax`` (a new figure when None) and returns the Axes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._api import NetworkResult, NeuronResult, SweepResult

# The CLI's raster colours: excitatory blue, inhibitory red, further groups after them.
_GROUP_COLOURS = ["tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange"]


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("hhsim.plot needs matplotlib: pip install hhsim[plot]") from e
    return plt.figure().add_subplot()


def raster(result: NetworkResult, ax: Axes | None = None, **scatter: Any) -> Axes:
    """Spike raster of a network run, one colour per group (as raster.png)."""
    ax = _axes(ax)
    i, t = result.spikes
    style = dict(s=1.0, marker=".", linewidths=0)
    style.update(scatter)
    for k, (name, neurons) in enumerate(result.groups.items()):
        mine = (i >= neurons.start) & (i < neurons.stop)
        ax.scatter(t[mine], i[mine], color=_GROUP_COLOURS[k % len(_GROUP_COLOURS)],
                   label=f"{name} ({result.rates[name]:.1f} Hz)", **style)
    ax.set_xlim(0, result.summary["duration_ms"])
    ax.set_ylim(0, result.summary["n_neurons"])
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    ax.legend(loc="upper right", markerscale=8)
    return ax


def heatmap(result: SweepResult, ax: Axes | None = None, **imshow: Any) -> Axes:
    """Firing rate over the grid of a two-axis sweep (as rates.png), or the rate along the
    axis of a one-axis sweep."""
    ax = _axes(ax)
    names = list(result.axes)
    x = result.axes[names[0]]
    rates = result.rates
    if rates.ndim == 1:
        ax.plot(x, rates)
        ax.set_xlabel(names[0])
        ax.set_ylabel("rate (Hz)")
        return ax
    y = result.axes[names[1]]
    style = dict(origin="lower", aspect="auto", cmap="viridis",
                 extent=(x[0], x[-1], y[0], y[-1]))
    style.update(imshow)
    image = ax.imshow(rates, **style)
    ax.figure.colorbar(image, ax=ax, label="rate (Hz)")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    return ax


def traces(result: NeuronResult, ax: Axes | None = None, neurons: Any = None, **plot: Any) -> Axes:
    """Membrane potential of each neuron (as trace.png, on one Axes); ``neurons`` picks some."""
    ax = _axes(ax)
    picked = np.arange(result.v.shape[0]) if neurons is None else np.atleast_1d(neurons)
    currents = result.summary["currents"]
    unit = result.summary["current_unit"]
    for k in picked:
        ax.plot(result.t, result.v[k], label=f"I = {currents[k]} {unit}", **plot)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("V (mV)")
    ax.legend(loc="upper right")
    return ax
