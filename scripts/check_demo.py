"""Checks the README's first command, ``./scripts/demo``, as a user sees it:
what it prints is the model's words, not the installer's, and llm's logs go
to the checkout's own ``.llm-demo/``, not to the user's llm directory. Run by
``scripts/check`` after the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_USER_PATH = ROOT / ".llm-demo"


def logged_responses() -> int:
    """How many responses llm has logged in the demo's user directory."""
    if not (DEMO_USER_PATH / "logs.db").exists():
        return 0
    listed = subprocess.run(
        [sys.executable, "-m", "llm", "logs", "list", "-n", "0", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "LLM_USER_PATH": str(DEMO_USER_PATH)},
        check=True,
    )
    return len(json.loads(listed.stdout))


def main() -> None:
    before = logged_responses()
    with tempfile.TemporaryDirectory() as config_home:
        env = {**os.environ, "XDG_CONFIG_HOME": config_home}
        # The user's own llm settings, if any, are what must stay untouched.
        env.pop("LLM_USER_PATH", None)
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "demo")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if result.returncode != 0:
            sys.exit(f"the demo failed:\n{result.stdout}\n{result.stderr}")
        # click puts llm's directory under XDG_CONFIG_HOME on Linux; on other
        # systems the demo's own logs below show where llm wrote.
        assert not any(Path(config_home).iterdir()), "the demo wrote to ~/.config"
    outputs = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(outputs) >= 1, result.stdout
    for output in outputs:
        assert "Requirement already satisfied" not in output, output
    print(result.stdout, end="")
    assert "Requirement already satisfied" not in result.stderr, result.stderr
    # The development build's test marks only print when the tests ask.
    assert "llm-markov-rs: " not in result.stderr, result.stderr
    stderr_lines = result.stderr.splitlines()
    assert len(stderr_lines) < 10, f"the demo's setup is noisy:\n{result.stderr}"
    assert logged_responses() > before, "the demo logged nothing to .llm-demo/"
    check_next_steps(result.stdout)
    print("demo check passed")


def check_next_steps(printed: str) -> None:
    """Runs each command the demo suggests next, as printed, in a shell
    that has neither the virtual environment nor LLM_USER_PATH: each must
    work there and print something."""
    commands = [
        line.strip()
        for line in printed.splitlines()
        if line.startswith("  LLM_USER_PATH=")
    ]
    assert len(commands) >= 2, f"the demo suggests no next steps:\n{printed}"
    bare = {
        name: value
        for name, value in os.environ.items()
        if name not in ("VIRTUAL_ENV", "LLM_USER_PATH", "PATH")
    }
    bare["PATH"] = os.defpath
    for command in commands:
        ran = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            env=bare,
            cwd=tempfile.gettempdir(),
            check=False,
        )
        assert ran.returncode == 0, f"{command}\n{ran.stdout}{ran.stderr}"
        assert ran.stdout.strip(), f"{command} printed nothing"


if __name__ == "__main__":
    main()
