"""Demo data seeders, registered by each app from ``AppConfig.ready()`` and run in
order by ``manage.py seed_demo``. Each seeder must be idempotent (run on every
``make run``) and create only invented data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Seeder = Callable[[Any], None]  # receives the command, for output
_seeders: list[tuple[int, str, Seeder]] = []


def register_seeder(order: int, name: str, seeder: Seeder) -> None:
    if all(existing != name for _o, existing, _s in _seeders):
        _seeders.append((order, name, seeder))


def seeders() -> list[tuple[str, Seeder]]:
    return [(name, seeder) for _o, name, seeder in sorted(_seeders, key=lambda s: s[0])]
