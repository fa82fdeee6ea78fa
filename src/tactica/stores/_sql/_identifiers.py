"""SQL identifiers tactica accepts from configuration: checked, then quoted (G14). PURE."""

from __future__ import annotations

import re

from tactica.errors import ConfigurationError

__all__ = ["checked_identifier", "quoted"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def checked_identifier(name: object, what: str) -> str:
    """Return `name` if it is a plain SQL identifier; raise `ConfigurationError` otherwise.

    Letters, digits and underscores, starting with a letter or underscore, at most 63
    characters (PostgreSQL's limit): nothing that could close a quote or start a statement.
    """
    if type(name) is not str or not _IDENTIFIER.match(name):
        shown = repr(name) if len(repr(name)) <= 80 else f"{repr(name)[:77]}..."  # noqa: PLR2004
        msg = (
            f"{what} {shown} is not a plain identifier: use 1 to 63 letters, digits and "
            "underscores, starting with a letter or an underscore"
        )
        raise ConfigurationError(msg)
    return name


def quoted(name: str) -> str:
    """Return a checked identifier in double quotes, as it goes into a statement."""
    return f'"{checked_identifier(name, "identifier")}"'
