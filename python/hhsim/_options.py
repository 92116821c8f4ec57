"""Keyword arguments to the command line's options: ``record_every=10`` becomes
``--record-every=10``, so every option, default and error message is the CLI's own."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

import numpy as np


def _number(value: object) -> str:
    """A number as text that parses back to the same float64 (Python's shortest repr)."""
    if isinstance(value, bool):
        raise ValueError(f"invalid number {value!r}: expected a number, not a bool")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    raise ValueError(f"invalid number {value!r}: expected a number")


def _value(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (np.ndarray, list, tuple)):
        items = np.asarray(value).ravel().tolist() if isinstance(value, np.ndarray) else value
        if len(items) == 0:
            raise ValueError("invalid empty list: expected at least one number")
        return ",".join(_number(x) for x in items)
    return _number(value)


def argv(options: Mapping[str, object]) -> list[str]:
    """The command-line arguments for ``options``; ``None`` and ``False`` leave an option out
    (the CLI's default), ``True`` gives a bare flag."""
    out: list[str] = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            out.append(flag)
        else:
            out.append(f"{flag}={_value(value)}")
    return out


def overrides(set: Mapping[str, float] | None) -> list[str]:
    """``set={"gl": 0.3}`` as ``--set=gl=0.3``."""
    if set is None:
        return []
    if not isinstance(set, Mapping):
        raise ValueError(f"invalid set {set!r}: expected a dict of parameter names to numbers")
    return [f"--set={name}={_number(value)}" for name, value in set.items()]


def axes(axes: Iterable[tuple] | None) -> list[str]:
    """``[("gna", 10, 100, 300), ...]`` as ``--axis=gna=10:100:300 ...``."""
    if axes is None:
        return []
    out = []
    for axis in axes:
        if not (isinstance(axis, (tuple, list)) and len(axis) == 4):
            raise ValueError(f"invalid axis {axis!r}: expected (name, start, stop, count)")
        name, start, stop, count = axis
        out.append(f"--axis={name}={_number(start)}:{_number(stop)}:{_number(count)}")
    return out
