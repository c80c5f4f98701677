"""What the documentation says about the code, checked against the code, so
that the two cannot drift apart again."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_the_stub_says_what_iterating_a_walk_gives():
    from llm_markov_rs._markov import Chain

    walk = Chain("a b c").walk(3, 1)
    assert iter(walk) is walk
    stub = (ROOT / "python" / "llm_markov_rs" / "_markov.pyi").read_text()
    assert "def __iter__(self) -> Walk: ..." in stub


def test_the_readme_names_the_workflows_that_use_the_smoke_test():
    workflows = ROOT / ".github" / "workflows"
    users = sorted(
        path.stem
        for path in workflows.glob("*.yml")
        if "smoke-test.sh" in path.read_text()
    )
    assert users == ["release"]
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "`smoke-test.sh`, which the release workflow uses" in readme


def test_the_readme_gives_the_parallel_threshold_the_core_uses():
    source = (ROOT / "src" / "build_options.rs").read_text()
    match = re.search(r"PARALLEL_MIN_BYTES: usize = (\d+) << 20;", source)
    assert match, "PARALLEL_MIN_BYTES is no longer a number of MiB"
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert (
        f"Texts of {match.group(1)} MiB or more are split and linked on every core"
        in readme
    )
