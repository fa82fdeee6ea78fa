"""The async-to-sync generator: what it rewrites, and that --check catches drift and orphans."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "unasync.py"

ASYNC_SOURCE = '''\
"""An async module (async colour).

>>> import asyncio
>>> asyncio.run(AsyncThing().items(repo))
"""
import pytest
from tactica._acompat import AsyncLock, async_sleep
from tactica.ports._repository_async import AsyncRepository


class AsyncThing:
    async def __aenter__(self) -> AsyncThing:
        async with AsyncLock():
            await async_sleep(0)
        return self

    async def items(self, repo: AsyncRepository) -> None:
        async for item in self.stream():
            await repo.add(item)


@pytest.mark.asyncio
async def test_thing() -> None:
    await AsyncThing().items(makeAsyncRepository())
'''

EXPECTED_SYNC = '''\
# Generated from _thing_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""An async module (sync colour).

>>> Thing().items(repo)
"""
import pytest
from tactica._acompat import Lock, sleep
from tactica.ports._repository_sync import Repository


class Thing:
    def __enter__(self) -> Thing:
        with Lock():
            sleep(0)
        return self

    def items(self, repo: Repository) -> None:
        for item in self.stream():
            repo.add(item)


def test_thing() -> None:
    Thing().items(makeRepository())
'''


def _run(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), "--root", str(root), *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    package = tmp_path / "src" / "pkg"
    package.mkdir(parents=True)
    (package / "_thing_async.py").write_text(ASYNC_SOURCE, encoding="utf-8")
    return tmp_path


def test_the_committed_sync_twins_match_their_async_sources() -> None:
    result = _run(REPO, "--check")
    assert result.returncode == 0, result.stderr


def test_generation_removes_async_and_renames_the_paired_names(project: Path) -> None:
    result = _run(project)
    assert result.returncode == 0, result.stderr
    generated = (project / "src" / "pkg" / "_thing_sync.py").read_text(encoding="utf-8")
    assert generated == EXPECTED_SYNC
    assert _run(project, "--check").returncode == 0


def test_check_fails_when_a_twin_was_edited_by_hand(project: Path) -> None:
    _run(project)
    twin = project / "src" / "pkg" / "_thing_sync.py"
    twin.write_text(twin.read_text(encoding="utf-8") + "# a hand edit\n", encoding="utf-8")
    result = _run(project, "--check")
    assert result.returncode == 1
    assert "out of date" in result.stderr
    assert twin.read_text(encoding="utf-8").endswith("# a hand edit\n"), "--check must not write"


def test_check_fails_when_a_twin_is_missing(project: Path) -> None:
    result = _run(project, "--check")
    assert result.returncode == 1
    assert "_thing_sync.py is missing" in result.stderr


def test_check_fails_on_an_orphaned_twin(project: Path) -> None:
    _run(project)
    (project / "src" / "pkg" / "_gone_sync.py").write_text("x = 1\n", encoding="utf-8")
    result = _run(project, "--check")
    assert result.returncode == 1
    assert "_gone_sync.py has no _gone_async.py source" in result.stderr


def _unasync_module() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("unasync_tool", REPO / "tools" / "unasync.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("imports", "expected"),
    [
        ("import pytest_asyncio\n", "import pytest\n"),
        ("import pytest\nimport pytest_asyncio\n", "import pytest\n"),
    ],
)
def test_pytest_asyncio_fixtures_become_pytest_fixtures_imported_once(
    imports: str, expected: str
) -> None:
    """The twin imports pytest exactly once, whether or not the source imported it too."""
    source = f"{imports}\n@pytest_asyncio.fixture\nasync def db() -> None: ...\n"
    twin = _unasync_module().unasync(source, "x_async.py")  # type: ignore[attr-defined]
    body = twin.split("\n", 1)[1]
    assert body == f"{expected}\n@pytest.fixture\ndef db() -> None: ...\n"
