"""Measuring tools of the scale benchmark: peak memory of a process tree, a log read up to a position,
latency percentiles, and the straight-line fits behind ``--extrapolate``."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from projections_bench import PeakMemory

from panel.application import PanelApp


def peak_memory(interval: float = 0.1, root: int | None = None) -> PeakMemory:
    """The highest total resident memory of this process (or ``root``) and its descendants while the block runs
    (sampled)."""
    return PeakMemory(interval, root)


class CappedRecorder:
    """The application's recorder as if the log ended at ``cap``: a store's prefix, for rebuilds by size.

    Everything else is the real recorder's (writes, partition reads: those are bounded by the head
    the projector reads from ``max_notification_id``).
    """

    def __init__(self, recorder: Any, cap: int) -> None:
        self._recorder, self.cap = recorder, cap

    def __getattr__(self, name: str) -> Any:
        return getattr(self._recorder, name)

    def max_notification_id(self) -> int:
        return min(int(self._recorder.max_notification_id() or 0), self.cap)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Any]:
        stop = self.cap if stop is None else min(stop, self.cap)
        if start is not None and start >= stop:
            return []
        return self._recorder.select_notifications(
            start, limit, stop=stop, topics=topics, inclusive_of_start=inclusive_of_start
        )


@contextmanager
def capped(app: PanelApp, cap: int) -> Iterator[PanelApp]:
    """``app`` reading its log only up to ``cap`` while inside the block."""
    real = app.recorder
    app.recorder = CappedRecorder(real, cap)  # type: ignore[assignment]
    try:
        yield app
    finally:
        app.recorder = real


def decoded_read(app: PanelApp, batch: int, start: int = 0) -> int:
    """Read and decode the log after ``start`` in pages (the baseline of rebuilds and catch-ups)."""
    count = 0
    while page := app.recorder.select_notifications(start, limit=batch, inclusive_of_start=False):
        for n in page:
            app.mapper.to_domain_event(n)
        count += len(page)
        start = page[-1].id
    return count


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        conn.send((True, fn(*args)))
    except BaseException as exc:  # handed back to the parent, which raises it
        conn.send((False, repr(exc)))
        raise


def isolated(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a fresh (spawned) process and return its result: its memory, measured inside
    it, starts from a new interpreter and not from whatever this process grew to before."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_child, args=(there, fn, args))
    child.start()
    ok, result = here.recv()
    child.join()
    if not ok:
        raise RuntimeError(f"{getattr(fn, '__name__', fn)} failed in its process: {result}")
    return result


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = action()
    return time.perf_counter() - t0, result


def percentiles(samples_ms: Sequence[float]) -> tuple[float, float]:
    """p50 and p99 (nearest rank) of latencies in milliseconds."""
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))]
    return statistics.median(ordered), p99


def fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares intercept and slope of ys against xs (slope 0 from a single point)."""
    if len(xs) < 2:
        return (ys[0] if ys else 0.0), 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return my - slope * mx, slope
