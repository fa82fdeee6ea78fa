"""Old import paths of names that moved to their backend's package, kept for one release.

A package lists its moved names and returns `moved_names(...)` as its module
``__getattr__``: the old path still works, warns once per use with the new one, and loads
the backend only when the old name is actually used, so the package itself stays free of
backend imports.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping

__all__ = ["moved_names"]


def moved_names(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """Return a module ``__getattr__`` that finds each name of `homes` in its new package."""

    def moved_attribute(name: str) -> object:
        home = homes.get(name)
        if home is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        warnings.warn(
            f"{package}.{name} moved to {home}.{name}; import it from there "
            "(the old path goes away in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(home), name)

    return moved_attribute
