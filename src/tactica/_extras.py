"""Failing early, and helpfully, when an optional feature's extra is not installed."""

from __future__ import annotations

import importlib

__all__ = ["require_extra"]


def require_extra(module: str, *, feature: str, extra: str) -> None:
    """Import `module` or raise `MissingExtraError` naming the pip command for `extra`.

    Called first in an optional package's ``__init__``, so the error names the extra
    instead of surfacing as an ImportError from deep inside tactica.
    """
    try:
        importlib.import_module(module)
    except ImportError as error:
        from tactica.errors import MissingExtraError  # noqa: PLC0415 - only on failure

        raise MissingExtraError(feature, extra) from error
