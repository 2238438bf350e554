"""Runs CPU-heavy work on every core while keeping results in input order (so output is deterministic).

Workers are started with the "forkserver" method: they import only the worker's module (NumPy and
Pillow; TensorFlow only when aligning photos, for the face detector), and forking a process that
already runs TensorFlow threads is avoided. Each worker starts quiet (`console.quiet`: TensorFlow's
start-up lines hidden unless --verbose) and leaves Ctrl-C to the main process, which stops the
pool and says so in one line.

Example:
    >>> for result in map_in_order(functools.partial(render, size=112), chunks, workers=2):
    ...     write(result)
"""

import concurrent.futures
import multiprocessing
import os
import signal
from typing import Callable, Iterable, Iterator, Optional, TypeVar

from console import quiet

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def chunked(items: list, chunk_size: int) -> list:
    """`chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]`."""
    if chunk_size < 1:
        raise ValueError(f"expected chunk_size >= 1, got {chunk_size}")
    return [items[start:start + chunk_size] for start in range(0, len(items), chunk_size)]


def map_in_order(function: Callable[[Chunk], Result], chunks: Iterable[Chunk],
                 workers: Optional[int] = None) -> Iterator[Result]:
    """Yields `function(chunk)` for every chunk, in order; `workers` processes (default: all cores).

    With one worker everything runs in this process. `function` must be picklable (a module-level
    function or a functools.partial of one). At most 2 chunks per worker are in flight, so memory
    stays bounded however many chunks there are.
    """
    workers = available_cores() if workers is None else workers
    if workers < 1:
        raise ValueError(f"expected workers >= 1, got {workers}")
    if workers == 1:
        yield from map(function, chunks)
        return
    context = multiprocessing.get_context("forkserver")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                                initializer=start_worker) as pool:
        pending = []
        try:
            for chunk in chunks:
                pending.append(pool.submit(function, chunk))
                if len(pending) >= 2 * workers:
                    yield pending.pop(0).result()
            for future in pending:
                yield future.result()
        except BaseException:  # Ctrl-C, or a failed chunk: what has not started never will
            for future in pending:
                future.cancel()
            raise


def start_worker() -> None:
    """A worker's first step: quiet like the command that started it, and deaf to Ctrl-C (the terminal
    sends it to every process of the group; the main process alone answers it)."""
    quiet.start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
