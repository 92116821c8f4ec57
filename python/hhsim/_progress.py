"""Progress for long runs: a tqdm bar (``tqdm.auto``, so notebooks get a widget), or the
caller's own ``progress(done, total)``; nothing at all by default."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Iterator

Progress = bool | Callable[[int, int], object] | None


@contextmanager
def reporter(progress: Progress, unit: str) -> Iterator[Callable[[int, int], None] | None]:
    """The callback to hand to a run, closed (bar finished) when the run ends."""
    if progress is None or progress is False:
        yield None
        return
    if callable(progress):
        yield progress
        return
    if progress is not True:
        raise ValueError(f"invalid progress {progress!r}: expected True, False or a callable")
    try:
        from tqdm.auto import tqdm
    except ImportError as e:
        raise ValueError("progress=True needs tqdm: pip install tqdm") from e
    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit=unit)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
