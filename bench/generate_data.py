"""An invented national data set for benchmarks, spread over the roster municipalities
by size (see ``generate.py``):

    .venv/bin/python bench/generate_data.py --cases 100000 [--seed 1] [--today YYYY-MM-DD]

Run it on an empty database that has the roster loaded (``manage.py migrate`` then
``manage.py load_roster …``; ``DATABASE_URL`` names the database); it refuses to add to a
database that already holds cases.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Refused(Exception):
    """The database is not one to generate into; nothing was written."""


def generate_data(
    cases: int,
    *,
    seed: int = 1,
    today: datetime.date | None = None,
    write: Callable[[str], object] = print,
) -> None:
    """Generate ``cases`` cases (and everything around them) into the configured database."""
    from bench.generate import generate
    from cases.models import Case
    from municipalities.models import Municipality

    if cases < 1:
        raise Refused("--cases must be at least 1.")
    if not Municipality.objects.exists():
        raise Refused("Load the roster first (manage.py load_roster …).")
    if Case.objects.exists():
        raise Refused(
            "The database already holds cases. Generate into a fresh database "
            "(migrate, load_roster, then generate_data)."
        )
    result = generate(cases, seed=seed, today=today, progress=write)
    for label, count in sorted(result.rows.items()):
        write(f"{label:<36} {count:>12,}")
    write(
        f"{result.cases:,} cases, {result.total_rows:,} rows in {result.seconds:.1f} s "
        f"({result.rows_per_second:,.0f} rows/s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True, help="number of cases in total")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--today",
        type=datetime.date.fromisoformat,
        default=None,
        help="reference day (YYYY-MM-DD) the dates are relative to; default today",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
    import django

    django.setup()
    try:
        generate_data(args.cases, seed=args.seed, today=args.today)
    except Refused as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
