"""The web process's garbage collector (``portal.runtime``), settled in a process of its
own so that this test run's collector is left as it is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import gc, json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
import django
django.setup()
from portal.runtime import FIRST_THRESHOLD, settle_after_start
before = {"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()}
settle_after_start()
garbage = []
garbage.append(garbage)  # a cycle made after start-up
del garbage
print(json.dumps({
    "before": before,
    "frozen": gc.get_freeze_count(),
    "threshold": gc.get_threshold(),
    "first": FIRST_THRESHOLD,
    "collected": gc.collect(),
}))
"""


def test_start_up_objects_are_frozen_and_later_cycles_still_collected():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["before"]["frozen"] == 0
    assert figures["before"]["threshold"][0] == 700
    assert figures["frozen"] > 10_000  # Django, the apps, their modules
    assert figures["threshold"] == [figures["first"], *figures["before"]["threshold"][1:]]
    assert figures["collected"] >= 1  # the cycle made after settling
