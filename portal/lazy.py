"""Re-exporting a package's public names without importing its modules up front.

A package's ``__init__`` says which of its names other apps use and where they live;
``from package import name`` then imports that one module on first use. Importing the
package itself stays free of its modules' imports, so two packages that use each other's
services do not form an import cycle."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def reexport(package: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``names`` maps a public name to the
    submodule that defines it (``{"case_open": "services"}``)."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{module}"), name)

    return __getattr__
