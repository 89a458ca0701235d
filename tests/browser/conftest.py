"""Playwright for Python driving Debian's chromium against the live test server.

Without /usr/bin/chromium the browser tests are skipped, unless REQUIRE_BROWSER=1
(as in CI), where a missing browser fails the run instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "test-results/screenshots"))
FAILURES = SCREENSHOTS / "failures"

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
# test body are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP", "viewport": {"width": 1280, "height": 800}}


def no_serious_violations(page) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [
        v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
    ]
    found = [(v["id"], [n["html"][:120] for n in v["nodes"][:5]]) for v in serious]
    assert serious == [], (page.url, found)


@pytest.fixture
def screenshot(page):
    """Check the page with axe, then save a full-page screenshot under
    test-results/screenshots/<name>.png: every page a journey shows is checked."""

    def take(name: str) -> Path:
        no_serious_violations(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, save every page it has open (the ``page`` fixture's
    and any of its own contexts, such as a phone-size one) under
    test-results/screenshots/failures/<test-name>.png, before the fixtures close them."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or "browser" not in item.keywords:
        return
    pages = []
    if "page" in item.funcargs:
        pages.append(item.funcargs["page"])
    browser = item.funcargs.get("browser")
    for context in browser.contexts if browser is not None else []:
        pages.extend(p for p in context.pages if p not in pages)
    name = re.sub(r"[^\w.-]+", "_", item.name).strip("_")
    FAILURES.mkdir(parents=True, exist_ok=True)
    saved = []
    for index, page in enumerate(pages):
        path = FAILURES / (f"{name}.png" if index == 0 else f"{name}-{index + 1}.png")
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception as exc:  # noqa: BLE001 - a closed page must not hide the failure
            report.sections.append(("screenshot", f"{path}: not saved ({exc})"))
            continue
        saved.append(str(path))
    if saved:
        report.sections.append(("screenshot", "\n".join(saved)))


@pytest.fixture
def demo(settings):
    """The demo as `make run` sets it up (roster and seed); its password."""
    from django.core.management import call_command

    from tests.conftest import ROSTER_FY2022

    settings.DEBUG = True  # seed_demo refuses to create known passwords otherwise
    call_command("load_roster", str(ROSTER_FY2022), "--fiscal-year", "2022", verbosity=0)
    call_command("seed_demo", verbosity=0)
    settings.DEBUG = False
    return settings.DEMO_PASSWORD
