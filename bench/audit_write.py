"""Benchmark of the audit write that every page view and change makes.

Run on demand (not part of the test suite), on a migrated database:

    DATABASE_URL=postgres://… .venv/bin/python bench/audit_write.py --events 2000 --threads 4

It writes ``--events`` events into a throw-away municipality one after the other, each in
its own transaction (as a page view does), then as many again from ``--threads`` threads
at once into the same municipality, and prints the time per event and the events per
second of each run; then it removes what it created.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

import django

django.setup()

from django.db import connection, transaction

from municipalities.audit import audit_write
from municipalities.models import AuditChainHead, AuditEvent, Municipality

BENCH_CODE = "479985"  # an unused code in the 47 (Okinawa) range with a valid check digit


def write(municipality_id: int, n: int, offset: int = 0) -> list[float]:
    """Write ``n`` events, one transaction each; the seconds each one took."""
    timings = []
    for i in range(n):
        t = time.perf_counter()
        with transaction.atomic():
            audit_write(
                user=None,
                municipality_id=municipality_id,
                action=AuditEvent.Action.VIEW,
                case_id=offset + i,
                detail={"page": "bench", "cases": [offset + i]},
            )
        timings.append(time.perf_counter() - t)
    return timings


def concurrently(municipality_id: int, n: int, threads: int) -> float:
    """Write ``n`` events from ``threads`` threads at once; the wall-clock seconds."""
    per_thread = n // threads

    def worker(index: int) -> None:
        from django.db import connection as thread_connection

        try:
            write(municipality_id, per_thread, offset=index * per_thread)
        finally:
            thread_connection.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    t = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - t


def clean(muni: Municipality) -> None:
    """Remove the throw-away municipality, its events and its chain's head (a benchmark's
    own events; real audit events are never deleted)."""
    with transaction.atomic():
        AuditEvent.objects.filter(municipality=muni).delete()
        AuditChainHead.objects.filter(municipality=muni).delete()
        muni.delete()


def report(label: str, timings: list[float]) -> None:
    ms = sorted(t * 1000 for t in timings)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(
        f"{label:<22} {len(ms):6d} events  median {statistics.median(ms):6.3f} ms  "
        f"p95 {p95:6.3f} ms  {len(ms) / (sum(ms) / 1000):8.0f} events/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    existing = Municipality.objects.filter(code=BENCH_CODE).first()
    if existing:
        clean(existing)
    muni = Municipality.objects.create(
        code=BENCH_CODE, prefecture="沖縄県", name="ベンチ市", name_kana="ベンチシ"
    )
    try:
        print(f"database: {connection.vendor}")
        write(muni.pk, 50)  # warm-up: connection, statement caches
        report("one writer", write(muni.pk, args.events))
        if connection.vendor == "sqlite" and args.threads > 1:
            print("(concurrent writers are measured on PostgreSQL only)")
            return
        seconds = concurrently(muni.pk, args.events, args.threads)
        written = args.events // args.threads * args.threads
        print(
            f"{f'{args.threads} writers at once':<22} {written:6d} events  "
            f"{seconds:8.2f} s wall  {written / seconds:8.0f} events/s"
        )
    finally:
        clean(muni)


if __name__ == "__main__":
    main()
