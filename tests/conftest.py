"""Fixtures: llm run through its real CLI and Python API, with its logs and
settings in a temporary directory."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

DATA = pathlib.Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def user_path(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """Point llm at an empty user directory for every test."""
    path = tmp_path / "llm-user"
    path.mkdir()
    monkeypatch.setenv("LLM_USER_PATH", str(path))
    return path


@pytest.fixture
def sherlock() -> str:
    """Real prose: the opening of The Adventures of Sherlock Holmes."""
    return (DATA / "sherlock_excerpt.txt").read_text(encoding="utf-8")


LlmRunner = Callable[..., Result]


@pytest.fixture
def llm_cli() -> LlmRunner:
    """Run ``llm`` with the given arguments through click's CliRunner. An
    exception that llm would show as a traceback is raised in the test
    (``catch_exceptions=False``), so checking the output for "Traceback"
    would test nothing."""
    from llm.cli import cli

    def run(*args: str, input: str | bytes | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return run


@pytest.fixture
def last_log(llm_cli: LlmRunner) -> Callable[[], dict]:
    """The newest entry of ``llm logs --json``."""

    def read() -> dict:
        result = llm_cli("logs", "-n", "1", "--json")
        assert result.exit_code == 0, result.output
        (entry,) = json.loads(result.output)
        return entry

    return read
