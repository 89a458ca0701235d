"""The web process's garbage collector, set once the application is loaded.

A request makes and drops tens of thousands of objects. Reference counting frees nearly
all of them, but the collector still starts after every 700 new objects, and every so
often a full collection walks every object the process holds: the loaded code, URL
patterns, templates and translations, some 150,000 of them, for 80–100 ms in the middle
of somebody's request (bench/README.md). Those objects live as long as the process, so
once it has loaded the application they are frozen out of the collector's sight
(``gc.freeze()``, as Python's documentation describes for servers), and the first
threshold is raised so that a request's short-lived objects are not walked again and
again. Cycles made after start-up are still collected.

gunicorn calls ``settle_after_start`` in each worker once it has loaded the application
(``deploy/gunicorn.conf.py``); the bench does the same before it measures the pages.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)

# New container objects between two collections of the youngest generation (Python's
# default is 700).
FIRST_THRESHOLD = 10_000


def settle_after_start() -> None:
    """Collect what start-up left, freeze the rest and raise the first threshold."""
    gc.collect()
    gc.freeze()
    _first, second, third = gc.get_threshold()
    gc.set_threshold(FIRST_THRESHOLD, second, third)
    log.info(
        "garbage collector settled: %d start-up objects frozen, first threshold %d",
        gc.get_freeze_count(),
        FIRST_THRESHOLD,
    )
