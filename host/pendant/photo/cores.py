"""One photo's work spread over the machine's cores, on threads.

Pillow lets go of the GIL while libjpeg decodes, so the bands of a JPEG
with restart markers (jpegbands.py) decode at once on threads. (The three
colour channels' resampling and dithering were tried on threads too: on 2
cores that was no faster, the pieces being ~1 ms.) Processes that already
keep every core busy (the batch pool's workers) call set_threads(1).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_threads = 0  # 0: one per core
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_pid = 0
_lock = threading.Lock()


def set_threads(n: int) -> None:
    """Use at most n threads per photo (1: none; 0: one per core)."""
    global _threads
    _threads = max(0, int(n))


def threads() -> int:
    if _threads:
        return _threads
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _executor(n: int) -> ThreadPoolExecutor:
    global _pool, _pool_size, _pool_pid
    with _lock:
        # A forked child inherits the pool object but not its threads.
        if _pool is None or _pool_size < n or _pool_pid != os.getpid():
            if _pool is not None and _pool_pid == os.getpid():
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="pendant-photo")
            _pool_size, _pool_pid = n, os.getpid()
        return _pool


def map_all(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """[fn(item) for item in items], on threads when there are cores to spare."""
    items = list(items)
    n = min(threads(), len(items))
    if n < 2:
        return [fn(item) for item in items]
    return list(_executor(threads()).map(fn, items))
