"""Every ```python block in README.md and docs/ runs, and the documentation site builds.

The blocks of one file run in order in one namespace, so a later block can use what an
earlier one defined, exactly as a reader follows the page. The namespace is a real module
registered in ``sys.modules`` while the file runs: dataclasses, msgspec and pydantic resolve
annotations through the class's module, as they would for code in a file of the reader's.

A block is skipped only when the line just before its opening fence is ``<!-- no-run -->``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import traceback
import types
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NO_RUN = "<!-- no-run -->"
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*?)[ \t]*$")


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: its info string, first code line (1-based) and source."""

    info: str
    line: int
    source: str
    run: bool


def code_blocks(text: str) -> list[CodeBlock]:
    """Return every fenced code block of a markdown text, in order."""
    blocks: list[CodeBlock] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, indent = opening["fence"], opening["indent"]
        previous = lines[index - 1].strip() if index > 0 else ""
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            closing = _FENCE.match(lines[end])
            if (
                closing is not None
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"]
            ):
                break
            body.append(lines[end].removeprefix(indent))
            end += 1
        else:
            msg = f"the code block opened at line {index + 1} is never closed"
            raise ValueError(msg)
        blocks.append(
            CodeBlock(
                info=opening["info"],
                line=index + 2,
                source=textwrap.dedent("\n".join(body)) + "\n",
                run=previous != NO_RUN,
            )
        )
        index = end + 1
    return blocks


def python_blocks(text: str) -> list[CodeBlock]:
    """Return the blocks fenced as ```python (with or without attributes), in order."""
    return [block for block in code_blocks(text) if block.info.split(" ", 1)[0] == "python"]


def documentation_files() -> list[Path]:
    """README.md and every markdown page of the site."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", documentation_files(), ids=_name)
def test_python_blocks_run(path: Path) -> None:
    """The file's python blocks run in order, sharing one module namespace."""
    blocks = [block for block in python_blocks(path.read_text(encoding="utf-8")) if block.run]
    slug = re.sub(r"\W", "_", _name(path))
    module_name = f"tactica_docs_{slug}_{uuid.uuid4().hex[:8]}"
    module = types.ModuleType(module_name, f"The python blocks of {_name(path)}.")
    module.__file__ = str(path)
    sys.modules[module_name] = module
    failure = None
    try:
        for block in blocks:
            # Padding keeps line numbers: tracebacks point at the line of the markdown file.
            padded = "\n" * (block.line - 1) + block.source
            try:
                code = compile(padded, str(path), "exec", dont_inherit=True)
                exec(code, module.__dict__)
            except Exception as error:  # noqa: BLE001 - every failure is reported the same way
                frames = error.__traceback__.tb_next if error.__traceback__ else None
                details = "".join(traceback.format_exception(type(error), error, frames))
                failure = (
                    f"{_name(path)}: the python block opened at line {block.line - 1} "
                    f"failed:\n{details}"
                )
                break
    finally:
        del sys.modules[module_name]
    if failure is not None:
        pytest.fail(failure, pytrace=False)


@pytest.mark.parametrize("name", ["README.md", "docs/tutorial/level-1.md"])
def test_the_main_pages_have_python_blocks(name: str) -> None:
    """The collector finds code where there must be some, so it cannot silently test nothing."""
    blocks = python_blocks((ROOT / name).read_text(encoding="utf-8"))
    assert sum(block.run for block in blocks) >= 1


def test_the_collector_reads_fences_as_markdown_does() -> None:
    """Language, first line, indentation, nesting of longer fences and the no-run marker."""
    text = textwrap.dedent(
        """\
        # Title
        ```python
        a = 1
        ```

        - item

            ```python title='x.py'
            if a:
                b = 2
            ```
        <!-- no-run -->
        ```python
        raise SystemExit
        ```
        ````markdown
        ```python
        inside = 'a markdown example'
        ```
        ````
        ```bash
        make demo
        ```
        """
    )
    blocks = python_blocks(text)
    assert [(block.line, block.run) for block in blocks] == [(3, True), (9, True), (14, False)]
    assert blocks[1].source == "if a:\n    b = 2\n"
    assert [block.info for block in code_blocks(text)][-2:] == ["markdown", "bash"]


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    """`mkdocs build --strict` succeeds: no broken link, nav entry or API reference."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "index.html").is_file()
    assert (tmp_path / "reference" / "api" / "index.html").is_file()
