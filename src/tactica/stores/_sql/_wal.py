"""WAL mode for SQLite files, shared by tactica's own SQLite connections and SQLAlchemy's."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

__all__ = ["switch_to_wal"]


def switch_to_wal(execute: Callable[[str], object], busy_timeout: float) -> None:
    """Put the database in WAL mode through `execute`, retrying while another opener holds it.

    Switching a new file to WAL needs an exclusive lock that SQLite does not wait for
    through the busy handler, so connections opened at the same moment would otherwise
    fail with "database is locked".
    """
    deadline = time.monotonic() + busy_timeout
    pause = 0.001
    while True:
        try:
            execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        else:
            return
