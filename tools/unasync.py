"""Generate the sync twin of every `*_async.py` module, or check that the twins are current.

I/O code is written once, async. Its sync twin is this script's output: the source with
`async`/`await` removed and paired names renamed (``AsyncFoo`` -> ``Foo``, ``async_sleep`` ->
``sleep``, ``_async`` module suffixes -> ``_sync``). The paired primitives live in
`tactica._acompat`, so a rename always lands on a real sync name.

    python tools/unasync.py          # write every *_sync.py
    python tools/unasync.py --check  # exit 1 on drift, on a missing twin, or on an orphan
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEARCH_DIRS = ("src", "tests")
HEADER = "# Generated from {source} by tools/unasync.py; do not edit. Run `make codegen`.\n"

# Order matters: whole-line removals first, then keywords, then names.
LINE_REMOVALS = (
    re.compile(r"^[ \t]*@pytest\.mark\.asyncio[ \t]*\n", re.MULTILINE),
    # Doctests import asyncio only to run the example's coroutine.
    re.compile(r"^[ \t]*>>> import asyncio[ \t]*\n", re.MULTILINE),
)
SUBSTITUTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.MULTILINE), replacement)
    for pattern, replacement in (
        (r"\basync def\b", "def"),
        (r"\basync with\b", "with"),
        (r"\basync for\b", "for"),
        (r"\bawait ", ""),
        (r"\b__aenter__\b", "__enter__"),
        (r"\b__aexit__\b", "__exit__"),
        (r"\b__aiter__\b", "__iter__"),
        (r"\b__anext__\b", "__next__"),
        (r"\bStopAsyncIteration\b", "StopIteration"),
        (r"\basynccontextmanager\b", "contextmanager"),
        (r"\bAbstractAsyncContextManager\b", "AbstractContextManager"),
        (r"\bpytest_asyncio\.fixture\b", "pytest.fixture"),
        (r"\bAsync([A-Z]\w*)", r"\1"),
        (r"([a-z0-9])Async([A-Z])", r"\1\2"),
        (r"\basync_(\w+)", r"\1"),
        (r"(\w)_async\b", r"\1_sync"),
        (r"\basynchronous\b", "synchronous"),
        (r"\(async colour\)", "(sync colour)"),
        (r"\basyncio\.run\((.*)\)$", r"\1"),
        (r"\bAwaitable\[([^\[\]]+)\]", r"\1"),
        (r"\bAwaitable, ", ""),
    )
)


def twin_of(source: Path) -> Path:
    """Return the path of the generated sync twin of `source`."""
    return source.with_name(source.name.removesuffix("_async.py") + "_sync.py")


_PYTEST_ASYNCIO_IMPORT = re.compile(r"^import pytest_asyncio\n", re.MULTILINE)
_PYTEST_IMPORT = re.compile(r"^import pytest$", re.MULTILINE)


def unasync(text: str, source_name: str) -> str:
    """Return the sync twin of the async module `text`."""
    for pattern in LINE_REMOVALS:
        text = pattern.sub("", text)
    # pytest_asyncio's fixtures become pytest's: its import becomes pytest's, once.
    pytest_import = "" if _PYTEST_IMPORT.search(text) else "import pytest\n"
    text = _PYTEST_ASYNCIO_IMPORT.sub(pytest_import, text)
    for pattern, replacement in SUBSTITUTIONS:
        text = pattern.sub(replacement, text)
    return HEADER.format(source=source_name) + text


def sources(root: Path) -> list[Path]:
    """Return every async source module under the searched directories, sorted."""
    found: list[Path] = []
    for directory in SEARCH_DIRS:
        found.extend((root / directory).rglob("*_async.py"))
    return sorted(found)


def orphans(root: Path) -> list[Path]:
    """Return every `*_sync.py` without an async source beside it."""
    found: list[Path] = []
    for directory in SEARCH_DIRS:
        for twin in (root / directory).rglob("*_sync.py"):
            source = twin.with_name(twin.name.removesuffix("_sync.py") + "_async.py")
            if not source.exists():
                found.append(twin)
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    """Write or check the sync twins; return the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift, change nothing")
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (default: this one)")
    arguments = parser.parse_args(argv)
    check, root = arguments.check, arguments.root.resolve()

    problems: list[str] = []
    for source in sources(root):
        twin = twin_of(source)
        expected = unasync(source.read_text(encoding="utf-8"), source.name)
        current = twin.read_text(encoding="utf-8") if twin.exists() else None
        if current == expected:
            continue
        relative = twin.relative_to(root)
        if check:
            problems.append(f"{relative} is {'missing' if current is None else 'out of date'}")
        else:
            twin.write_text(expected, encoding="utf-8")
            print(f"wrote {relative}")
    problems.extend(
        f"{twin.relative_to(root)} has no {twin.name.replace('_sync.py', '_async.py')} source"
        for twin in orphans(root)
    )
    for problem in problems:
        print(f"codegen: {problem}", file=sys.stderr)
    if problems:
        print("codegen: run `make codegen` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
