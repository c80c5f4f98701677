"""llm-markov 0.1, the pure-Python tutorial plugin, installed beside this one:
both register ``markov``. This plugin's model must be the one llm uses, and
the user must be told about the other."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from helpers import PROMPT

#: What llm-markov 0.1 installs, in short: a module ``llm_markov`` with a
#: ``markov`` model whose options are ``length`` and ``delay`` only, and an
#: entry point of the same name.
STAND_IN_MODULE = textwrap.dedent(
    """
    import llm

    @llm.hookimpl
    def register_models(register):
        register(Markov())

    class Markov(llm.Model):
        model_id = "markov"

        class Options(llm.Options):
            length: int | None = None
            delay: float | None = None

        def execute(self, prompt, stream, response, conversation):
            yield "the tutorial plugin answered"
    """
)


@pytest.fixture
def other_plugin(tmp_path: pathlib.Path) -> dict[str, str]:
    """An environment in which llm also finds a stand-in for llm-markov 0.1."""
    site = tmp_path / "site"
    (site / "llm_markov").mkdir(parents=True)
    (site / "llm_markov" / "__init__.py").write_text(STAND_IN_MODULE)
    dist_info = site / "llm_markov-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: llm-markov\nVersion: 0.1\n"
    )
    (dist_info / "entry_points.txt").write_text("[llm]\nllm_markov = llm_markov\n")
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), *sys.path])),
    }


def run_llm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llm", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_this_plugins_markov_is_the_one_llm_uses(other_plugin, user_path):
    plugins = run_llm(other_plugin, "plugins").stdout
    assert '"llm-markov"' in plugins
    assert '"llm-markov-rs"' in plugins
    # Options only this plugin has, and words only the prompt has.
    result = run_llm(
        other_plugin, "-m", "markov", "-o", "seed", "3", "-o", "order", "2", PROMPT
    )
    assert result.returncode == 0, result.stderr
    assert "tutorial" not in result.stdout
    assert set(result.stdout.split()) <= set(PROMPT.split())


def test_an_extension_that_cannot_load_names_the_other_plugin(other_plugin, user_path):
    code = textwrap.dedent(
        """
        import sys
        sys.modules["llm_markov_rs._markov"] = None  # makes the import raise
        from llm.cli import cli
        cli(sys.argv[1:])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "-m", "markov", PROMPT],
        capture_output=True,
        text=True,
        timeout=60,
        env=other_plugin,
        check=False,
    )
    assert result.returncode == 1
    assert "native extension could not be loaded" in result.stderr
    assert "llm-markov 0.1" in result.stderr
    assert "llm uninstall llm-markov -y" in result.stderr


def test_the_markov_commands_warn_about_the_other_plugin(other_plugin, user_path):
    env = {**other_plugin, "LLM_USER_PATH": str(user_path)}
    result = run_llm(env, "markov", "path")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(user_path / "markov")
    assert result.stderr.startswith("Warning: llm-markov 0.1")
    assert "llm uninstall llm-markov -y" in result.stderr
    # Without the other plugin, no warning.
    alone = run_llm({**os.environ, "LLM_USER_PATH": str(user_path)}, "markov", "path")
    assert alone.stderr == ""
