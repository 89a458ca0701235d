"""Benchmark of retention: the dry-run scan and the anonymisation of one municipality.

Run on demand (not part of the test suite):

    DATABASE_URL=postgres://… .venv/bin/python bench/retention.py --cases 5000

It creates a throw-away municipality with synthetic persons, each with one case and
1–5 consultations (bulk inserts); about half the cases were closed long ago. It times
the dry run (the set-based scan), the anonymisation (one transaction per person) and a
second run (nothing left to do), prints the figures, then removes what it created.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

import django

django.setup()

from django.db import connection, transaction
from django.utils import timezone

from cases.core.retention import anonymise_expired
from cases.models import Case, CaseEvent, Consultation, ConsultationMethod, ContactRoute, Person
from municipalities.models import AuditChainHead, AuditEvent, Municipality, User

BENCH_CODE = "479993"  # an unused code in the 47 (Okinawa) range with a valid check digit


def build(n: int, seed: int) -> Municipality:
    rng = random.Random(seed)
    muni, _ = Municipality.objects.get_or_create(
        code=BENCH_CODE,
        defaults={"prefecture": "沖縄県", "name": "ベンチ市", "name_kana": "ベンチシ"},
    )
    user, _ = User.objects.get_or_create(username="bench-user")
    route = ContactRoute.objects.get(municipality__isnull=True, code="self")
    method = ConsultationMethod.objects.get(municipality__isnull=True, code="phone")
    today = timezone.localdate()
    people = Person.objects.bulk_create(
        [
            Person(
                municipality=muni,
                name=f"ベンチ {i}",
                name_kana="ベンチ",
                search_name=f"ベンチ{i}",
                search_kana="ベンチ",
                phone_mobile="090-0000-0000",
                birth_date=datetime.date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    cases = []
    for i, p in enumerate(people):
        expired = rng.random() < 0.5
        opened = today - datetime.timedelta(days=rng.randint(2600, 4000) if expired else 100)
        cases.append(
            Case(
                municipality=muni,
                number=f"B-{i:07d}",
                person=p,
                route=route,
                opened_on=opened,
                status="closed" if expired else "support",
                closed_on=opened + datetime.timedelta(days=300) if expired else None,
                close_reason="ベンチ終結" if expired else "",
                assigned_to=user,
            )
        )
    cases = Case.objects.bulk_create(cases, batch_size=5000)
    Consultation.objects.bulk_create(
        [
            Consultation(
                municipality=muni,
                case=c,
                staff=user,
                method=method,
                summary="ベンチ記録",
                occurred_at=timezone.now() - datetime.timedelta(days=rng.randint(0, 200)),
            )
            for c in cases
            for _ in range(rng.randint(1, 5))
        ],
        batch_size=5000,
    )
    return muni


def clean(muni: Municipality) -> None:
    """Remove the throw-away municipality, its synthetic records, their audit events and
    its audit chain's head (a benchmark's own events; real audit events are never
    deleted)."""
    with transaction.atomic():
        AuditEvent.objects.filter(municipality=muni).delete()
        AuditChainHead.objects.filter(municipality=muni).delete()
        CaseEvent.objects.filter(municipality=muni).delete()
        Consultation.objects.filter(municipality=muni).delete()
        Case.objects.filter(municipality=muni).delete()
        Person.objects.filter(municipality=muni).delete()
        muni.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    existing = Municipality.objects.filter(code=BENCH_CODE).first()
    if existing:
        clean(existing)
    t0 = time.perf_counter()
    muni = build(args.cases, args.seed)
    built = time.perf_counter() - t0
    try:
        print(f"database: {connection.vendor}; cases: {args.cases}; built in {built:.1f} s")
        for label, dry_run in (("dry run", True), ("anonymise", False), ("second run", False)):
            t = time.perf_counter()
            results = anonymise_expired(municipality_code=BENCH_CODE, dry_run=dry_run)
            seconds = time.perf_counter() - t
            persons = sum(len(r.persons) for r in results)
            rate = f"{persons / seconds:8.0f} persons/s" if persons else " " * 18
            print(f"{label:<11} {seconds:8.2f} s  {persons:7d} persons  {rate}")
    finally:
        clean(muni)


if __name__ == "__main__":
    main()
