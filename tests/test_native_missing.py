"""llm keeps working when the native extension cannot load: the plugin
imports, and only using the model reports the problem."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Runs llm's CLI in a fresh interpreter in which importing the extension
# fails, as it does for a wheel built for another platform.
BROKEN_EXTENSION = textwrap.dedent(
    """
    import sys
    sys.modules["llm_markov_rs._markov"] = None  # makes the import raise
    from llm.cli import cli
    cli(sys.argv[1:])
    """
)


def run_llm_without_extension(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BROKEN_EXTENSION, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_llm_starts_and_lists_the_plugin():
    result = run_llm_without_extension("plugins")
    assert result.returncode == 0, result.stderr
    assert "llm-markov-rs" in result.stdout
    assert run_llm_without_extension("models").returncode == 0


def test_using_the_model_says_what_is_wrong():
    result = run_llm_without_extension("-m", "markov", "the cat sat")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: llm-markov-rs's native extension could not")
    assert "llm install --force-reinstall llm-markov-rs" in result.stderr
    assert "maturin develop" in result.stderr
    assert "Traceback" not in result.stderr
