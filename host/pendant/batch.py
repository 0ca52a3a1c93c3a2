"""Converting many photos at once, on every core.

Rendering (decode, framing, dithering) and frame encoding are CPU work in
Python and Pillow, so photos are converted in a process pool; order is kept,
and a bad photo is a result with an error, never an exception.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from pendant import frames
from pendant.photo import PhotoError, Rendered, RenderOptions, framing, render


@dataclass
class Converted:
    path: str
    frame: frames.FrameFile | None
    rendered: Rendered | None
    error: str | None


def convert_one(path, options: RenderOptions, quality: str = frames.DEFAULT_QUALITY) -> Converted:
    try:
        r = render(path, options)
    except PhotoError as e:
        return Converted(str(path), None, None, str(e))
    return Converted(str(path), frames.from_render(r, quality), r, None)


def _job(args) -> Converted:
    return convert_one(*args)


def workers_for(n: int) -> int:
    """Processes worth starting for n photos: one per core, none for one photo."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(n, cores or 1))


def convert_all(paths: Iterable, options: RenderOptions,
                quality: str = frames.DEFAULT_QUALITY,
                progress: Callable[[Converted], None] | None = None) -> list[Converted]:
    """Convert photos in order; progress(result) is called as each finishes."""
    paths = list(paths)
    jobs = [(p, options, quality) for p in paths]
    n = workers_for(len(paths))
    results: list[Converted] = []
    if n == 1:
        for job in jobs:
            results.append(_job(job))
            if progress:
                progress(results[-1])
        return results
    if options.faces:
        framing.faces_available()  # a broken `faces` extra is reported here, once
    with ProcessPoolExecutor(max_workers=n) as pool:
        for result in pool.map(_job, jobs):
            results.append(result)
            if progress:
                progress(result)
    return results
