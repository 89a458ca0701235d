"""Reads from a PostgreSQL streaming replica, where it is safe and chosen.

When ``DATABASE_REPLICA_URL`` is set, the settings add a database alias ``replica`` and
install :class:`ReplicaRouter`. The router is explicit: a read goes to the replica only
inside :func:`reading_from_replica` (the statistics, their exports and the national
view use it), and only while the request has not been pinned to the primary. Everything
else — every write, and every read outside such a block — goes to the primary.

Pinning keeps read-your-writes: the first write of a request (a save, an update, a
delete, a ``select_for_update``) pins the rest of that request to the primary, and
:class:`ReplicaPinMiddleware` carries the pin for ``DATABASE_REPLICA_PIN_SECONDS`` into
the requests that follow (a cookie), so that the page a form redirects to shows what was
just saved even while the replica lags. A read inside an open transaction on the primary
stays there too (it belongs to the transaction's snapshot).

Audit events, the audit chain's head and the session row do not pin: every page writes
them (a statistics view is audited, every request renews the session), and no replica
read depends on them; were they to pin, no statistics read would ever reach the replica.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"
PIN_COOKIE = "primary_pin"
# Written on (nearly) every request and read by no query sent to the replica.
NOT_PINNING = frozenset(
    {"municipalities.auditevent", "municipalities.auditchainhead", "sessions.session"}
)


@dataclass
class _Scope:
    """The reads and writes of one request (or of one block outside a request)."""

    reading: int = 0  # depth of reading_from_replica() blocks
    pinned: bool = False  # pinned to the primary, for the rest of the scope
    wrote: bool = False  # a write happened in this scope (renews the cookie pin)


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "replica_scope", default=None
)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextlib.contextmanager
def reading_from_replica() -> Iterator[None]:
    """Within this block (or the decorated function), reads may go to the replica.

    Use it only around reads that tolerate a lag of a second or so behind the primary
    (aggregates, exports), never around a read that decides a write."""
    scope = _scope.get()
    token = None
    if scope is None:  # outside a request: the block is its own scope
        scope = _Scope()
        token = _scope.set(scope)
    scope.reading += 1
    try:
        yield
    finally:
        scope.reading -= 1
        if token is not None:
            _scope.reset(token)


def pin_to_primary() -> None:
    """Send the rest of this request's reads to the primary."""
    scope = _scope.get()
    if scope is not None:
        scope.pinned = True


class ReplicaRouter:
    """Primary for everything, the replica only for reads chosen with
    :func:`reading_from_replica` (see the module's docstring)."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        scope = _scope.get()
        if (
            scope is None
            or not scope.reading
            or scope.pinned
            or not replica_configured()
            or connections[PRIMARY].in_atomic_block
        ):
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: Any, **hints: Any) -> str:
        scope = _scope.get()
        if scope is not None and model._meta.label_lower not in NOT_PINNING:
            scope.pinned = scope.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY  # the replica follows the primary's schema by itself


class ReplicaPinMiddleware:
    """One scope per request, pinned from the start while the pin cookie of an earlier
    write lives; a request that wrote sets (or renews) the cookie. Without a replica it
    only opens the scope."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        scope = _Scope(pinned=PIN_COOKIE in request.COOKIES)
        token = _scope.set(scope)
        try:
            response = self.get_response(request)
        finally:
            _scope.reset(token)
        if scope.wrote and replica_configured():
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
