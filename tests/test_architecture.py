"""The layers hold: which package may import which (ARCHITECTURE.md).

- ``portal``'s base (everything but its URL roots, settings, Celery app and WSGI entry)
  imports no app;
- ``municipalities`` imports none of ``cases``, ``participation``, ``community``,
  ``outreach``;
- ``cases`` imports no program app;
- ``participation`` never imports ``community`` (the reverse is allowed: a platform
  outcome becomes a participation menu); neither imports ``outreach`` (which may read a
  community concern);
- no app module (migrations aside) grows past about 600 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("municipalities", "cases", "participation", "community", "outreach")
PORTAL_ENTRIES = {"portal/urls.py", "portal/api_urls.py", "portal/celery.py", "portal/wsgi.py"}
FORBIDDEN = {
    "portal": set(APPS),
    "municipalities": {"cases", "participation", "community", "outreach"},
    "cases": {"participation", "community", "outreach"},
    "participation": {"community", "outreach"},
    "community": {"outreach"},
    "outreach": set(),
}
MAX_LINES = 600


def modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative or relative.startswith("portal/settings/"):
            continue
        yield relative, path


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_follow_the_layers(package):
    wrong = []
    for relative, path in modules(package):
        if package == "portal" and relative in PORTAL_ENTRIES:
            continue
        for imported in imported_packages(path) & FORBIDDEN[package]:
            wrong.append(f"{relative} imports {imported}")
    assert wrong == []


def test_no_app_module_is_a_grab_bag():
    long = [
        f"{relative}: {lines} lines"
        for package in (*APPS, "portal")
        for relative, path in modules(package)
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    ]
    assert long == []


def test_the_demo_is_not_part_of_any_app():
    """Scenario data lives in ``demo/`` and is loaded only by ``seed_demo``."""
    wrong = [
        relative
        for package in (*APPS, "portal")
        for relative, path in modules(package)
        if "demo" in imported_packages(path) and "management/commands" not in relative
    ]
    assert wrong == []


def test_case_templates_name_no_program_page():
    """What a program offers on the case page comes from ``cases.registry``; a program's
    page names another program's page only through it too (outreach on a concern)."""
    wrong = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "cases" / "templates").rglob("*.html"))
        if any(f"'{app}:" in path.read_text() for app in ("participation", "community", "outreach"))
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "package",
    ["cases.core", "cases.consultation", "cases.collaboration", "cases.engine", "cases.statistics"],
)
def test_every_name_a_package_exports_exists(package):
    import importlib

    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert module.__doc__
    assert missing == []
