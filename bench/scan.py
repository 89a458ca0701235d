"""Benchmark of the referral scan: cases per second of a full scan of one municipality.

Run on demand (not part of the test suite):

    DATABASE_URL=postgres://… .venv/bin/python bench/scan.py --cases 20000

It creates a throw-away municipality with synthetic cases (bulk inserts), scans it
twice (the second scan raises nothing new) and prints the figures, then removes
everything it created.
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

from cases.engine.flags import evaluate
from cases.models import (
    Case,
    CaseCategory,
    Consultation,
    ConsultationMethod,
    ContactRoute,
    Flag,
    IssueCategory,
    Person,
)
from municipalities.models import Municipality, User

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
    categories = list(IssueCategory.objects.filter(municipality__isnull=True))
    today = timezone.localdate()
    people = Person.objects.bulk_create(
        [
            Person(
                municipality=muni,
                name=f"ベンチ {i}",
                name_kana="ベンチ",
                search_name=f"ベンチ{i}",
                search_kana="ベンチ",
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    cases = Case.objects.bulk_create(
        [
            Case(
                municipality=muni,
                number=f"B-{i:07d}",
                person=p,
                route=route,
                opened_on=today - datetime.timedelta(days=rng.randint(0, 400)),
                status=rng.choice(["intake", "assessment", "support", "monitoring", "closed"]),
                assigned_to=user,
            )
            for i, p in enumerate(people)
        ],
        batch_size=5000,
    )
    CaseCategory.objects.bulk_create(
        [
            CaseCategory(municipality=muni, case=c, category=cat)
            for c in cases
            for cat in rng.sample(categories, rng.randint(1, 3))
        ],
        batch_size=5000,
    )
    Consultation.objects.bulk_create(
        [
            Consultation(
                municipality=muni,
                case=c,
                staff=user,
                method=method,
                summary="bench",
                occurred_at=timezone.now() - datetime.timedelta(days=rng.randint(0, 200)),
            )
            for c in cases
            for _ in range(rng.randint(1, 5))
        ],
        batch_size=5000,
    )
    return muni


def clean(muni: Municipality) -> None:
    with transaction.atomic():
        Flag.objects.filter(municipality=muni).delete()
        Consultation.objects.filter(municipality=muni).delete()
        CaseCategory.objects.filter(municipality=muni).delete()
        Case.objects.filter(municipality=muni).delete()
        Person.objects.filter(municipality=muni).delete()
        muni.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    existing = Municipality.objects.filter(code=BENCH_CODE).first()
    if existing:
        clean(existing)
    t0 = time.perf_counter()
    muni = build(args.cases, args.seed)
    built = time.perf_counter() - t0
    try:
        timings = []
        for label in ("first scan", "second scan"):
            t = time.perf_counter()
            outcomes = evaluate(muni.pk)
            timings.append(
                (label, time.perf_counter() - t, sum(o.raised for o in outcomes.values()))
            )
        print(f"database: {connection.vendor}; cases: {args.cases}; built in {built:.1f} s")
        for label, seconds, raised in timings:
            print(
                f"{label:<12} {seconds:8.2f} s  {args.cases / seconds:10.0f} cases/s  "
                f"raised {raised}"
            )
    finally:
        clean(muni)


if __name__ == "__main__":
    main()
