"""Every `>>>` example in tactica's docstrings runs and prints what it claims."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tactica


def _modules() -> list[str]:
    names = ["tactica"]
    names += [info.name for info in pkgutil.walk_packages(tactica.__path__, "tactica.")]
    return sorted(names)


def test_the_package_walk_finds_the_documented_modules() -> None:
    assert {"tactica.domain.context", "tactica.dataclasses._entity"} <= set(_modules())


@pytest.mark.parametrize("module_name", _modules())
def test_docstring_examples_pass(module_name: str) -> None:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} docstring example(s) failed in {module_name}"


def test_docstrings_carry_examples_at_all() -> None:
    """Guards the test above against silently finding nothing."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = sum(
        len(test.examples)
        for name in _modules()
        for test in finder.find(importlib.import_module(name), name)
    )
    assert found >= 5
