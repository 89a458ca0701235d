"""Where a request's time goes: its SQL, the audit write, the session, the template and
the rest (middleware, the view's Python, the response), measured on the same requests
as the page figures.

Each part is the wall time of the calls that do it — the audit chain's append
(``municipalities.audit.chain_append``), the session store's load and save, the
template's render — with the SQL run inside them counted in that part; "SQL" is the
statements run outside them. What remains of the request's time is "the rest".

The bare logged-in page (``bench/urls.py``) is the fixed cost every page pays: the
session, the user and membership, the middleware and the base template with its menu,
and no query or audit of its own."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

PARTS = ("sql", "audit", "session", "template")


class Split:
    """Seconds per part, over every request made while ``measuring``."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(PARTS, 0.0)
        self.total = 0.0
        self.requests = 0
        self._inside: list[str] = []

    def timed(self, part: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self._inside:  # already counted in the enclosing part
                return call(*args, **kwargs)
            self._inside.append(part)
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.seconds[part] += time.perf_counter() - start
                self._inside.pop()

        return wrapper

    def sql(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self._inside:
            return execute(sql, params, many, context)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds["sql"] += time.perf_counter() - start

    def per_request_ms(self) -> dict[str, float]:
        n = max(self.requests, 1)
        parts = {k: round(v * 1000 / n, 2) for k, v in self.seconds.items()}
        parts["rest"] = round((self.total - sum(self.seconds.values())) * 1000 / n, 2)
        parts["total"] = round(self.total * 1000 / n, 2)
        return parts


@contextmanager
def measuring(split: Split) -> Iterator[Split]:
    """Patch the four parts' entry points for the duration (restored afterwards)."""
    from django.contrib.sessions.backends import db as session_db
    from django.db import connection
    from django.template.backends import django as template_backend

    from municipalities import audit

    patches = [
        (audit, "chain_append", "audit"),
        (session_db.SessionStore, "load", "session"),
        (session_db.SessionStore, "save", "session"),
        (template_backend.Template, "render", "template"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _part in patches]
    for (owner, name, part), (_o, _n, original) in zip(patches, originals, strict=True):
        setattr(owner, name, split.timed(part, original))
    try:
        with connection.execute_wrapper(split.sql):
            yield split
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def profile_requests(client: Any, url: str, repeat: int) -> dict[str, float]:
    """The split of ``repeat`` GETs of ``url`` (already warmed up), per request in ms."""
    split = Split()
    with measuring(split):
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(url)
            split.total += time.perf_counter() - start
            split.requests += 1
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code} for {url}")
    return split.per_request_ms()
