"""What the README and the pages in docs/ say, checked by running their
examples: the facts they show (counts, fields, names, thresholds) must be
what the code does, and their links must lead somewhere."""

from __future__ import annotations

import json
import pathlib
import re
import shlex

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: The README and every page of docs/, by path from the root.
PAGES = {
    path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
}
#: All of them as one text, for facts that may live on any page.
DOCS = "\n\n".join(PAGES.values())


def code_blocks(language: str) -> list[str]:
    """The pages' fenced blocks of ``language``, in order."""
    return re.findall(rf"```{language}\n(.*?)```", DOCS, flags=re.DOTALL)


def heading_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation other
    than ``-`` and ``_`` dropped, spaces as hyphens."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


def test_every_link_between_the_pages_leads_to_a_page_and_heading():
    # The bug it catches: a link left pointing at a section that moved
    # when the README was split into docs/, or at a heading renamed since.
    anchors = {
        path: {
            heading_anchor(heading)
            for heading in re.findall(r"^#+ (.*)$", text, flags=re.MULTILINE)
        }
        for path, text in PAGES.items()
    }
    checked = 0
    for path, text in PAGES.items():
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address, not a page of this repository
            file, _, anchor = target.partition("#")
            resolved = (
                (ROOT / path).parent.joinpath(file).resolve().relative_to(ROOT)
                if file
                else pathlib.Path(path)
            )
            assert (ROOT / resolved).exists(), f"{path}: {target}"
            if anchor:
                assert anchor in anchors[resolved.as_posix()], f"{path}: {target}"
            checked += 1
    assert checked >= 20


def test_every_page_opens_each_code_block_before_it_closes_it():
    # The bug it catches: a block cut in two when a section moved to
    # another page, which leaves its last lines as prose and shows the
    # rest of the page as code.
    for path, text in PAGES.items():
        fences = re.findall(r"^```(\S*)$", text, flags=re.MULTILINE)
        assert len(fences) % 2 == 0, path
        assert all(fences[0::2]), f"{path}: a block opens without its language"
        assert not any(fences[1::2]), f"{path}: a block closes with a language"


def test_the_readme_stays_a_five_minute_read():
    # The bug it catches: the README growing back into the whole manual
    # (it was 952 lines) instead of linking to the pages in docs/.
    assert len(PAGES["README.md"].splitlines()) <= 300


def test_the_log_example_is_what_the_model_logs(llm_cli, last_log):
    # The bug it catches: a log example with counts and followers that no
    # run gives (it once showed 5 states where its own table had 4).
    (command,) = [
        line
        for block in code_blocks("bash")
        for line in block.splitlines()
        if line.startswith("llm -m markov -o length 6 -o seed 1 ")
    ]
    result = llm_cli(*shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    shown = next(
        json.loads(block) for block in code_blocks("json") if '"seed"' in block
    )
    assert last_log()["response_json"] == shown


def test_the_first_example_writes_what_the_readme_shows(llm_cli):
    session = next(
        block
        for block in code_blocks("console")
        if block.startswith("$ llm -m markov -o order 2")
    )
    command, output = session.strip().split("\n", 1)
    result = llm_cli(*shlex.split(command.removeprefix("$ "))[1:])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == output.strip()


def test_every_example_on_the_repositorys_texts_writes_what_it_shows(llm_cli):
    # The bug it catches: an example whose output no run gives, after a
    # change to how a mode cuts or joins its tokens.
    sessions = [
        block.strip().split("\n", 1)
        for block in code_blocks("console")
        if block.startswith("$ llm -m markov ") and "tests/data/" in block
    ]
    assert len(sessions) >= 4
    for command, output in sessions:
        arguments = shlex.split(command.removeprefix("$ "))[1:]
        arguments = [
            str(ROOT / argument) if argument.startswith("tests/data/") else argument
            for argument in arguments
        ]
        result = llm_cli(*arguments)
        assert result.exit_code == 0, result.output
        assert result.output.rstrip("\n") == output.rstrip("\n"), command


def test_the_saved_chain_sessions_print_what_they_show(llm_cli, user_path, monkeypatch):
    # The bug it catches: saved-chain examples on a novel that is not in the
    # repository, which no test could run. Run from the repository's root
    # with the paths as shown, as a reader would: a chain's metadata keeps
    # its sources' paths, so its size depends on how they were given.
    monkeypatch.chdir(ROOT)
    sessions = [
        block for block in code_blocks("console") if block.startswith("$ llm markov ")
    ]
    assert len(sessions) >= 2
    shown_folder = "~/.config/io.datasette.llm"
    for session in sessions:
        for chain in (user_path / "markov").glob("*.markov"):
            chain.unlink()
        steps = session.strip().split("$ ")[1:]
        for step in steps:
            command, _, output = step.partition("\n")
            result = llm_cli(*shlex.split(command)[1:])
            assert result.exit_code == 0, result.output
            printed = result.output.replace(str(user_path), shown_folder)
            assert printed.rstrip("\n") == output.rstrip("\n"), command


def test_the_saved_models_options_are_those_it_takes(llm_cli, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("a b. c d. e f.", encoding="utf-8")
    assert llm_cli("markov", "train", "t", str(text)).exit_code == 0
    listed = llm_cli("models", "--options", "-m", "markov/t").output
    options = set(re.findall(r"^    (\w+): ", listed, flags=re.MULTILINE))
    assert options
    said = re.search(r"The options are (.*?); `order`", DOCS, flags=re.DOTALL)
    assert said, "the docs no longer list a saved model's options"
    assert set(re.findall(r"`(\w+)`", said.group(1))) == options


def test_the_stub_says_what_iterating_a_walk_gives():
    from llm_markov_rs._markov import Chain

    walk = Chain("a b c").walk(3, 1)
    assert iter(walk) is walk
    stub = (ROOT / "python" / "llm_markov_rs" / "_markov.pyi").read_text()
    assert "def __iter__(self) -> Walk: ..." in stub


def test_the_readme_gives_the_parallel_threshold_the_core_uses():
    source = (ROOT / "src" / "build_options.rs").read_text()
    match = re.search(r"PARALLEL_MIN_BYTES: usize = (\d+) << 20;", source)
    assert match, "PARALLEL_MIN_BYTES is no longer a number of MiB"
    docs = " ".join(DOCS.split())
    assert f"Texts of {match.group(1)} MiB or more are split and linked" in docs


def test_the_shard_and_merge_pattern_runs_as_shown(tmp_path, monkeypatch, sherlock):
    # The README's pattern for Ray or Spark users, run as it stands: the
    # bug it catches is an example that no longer runs, or whose merged
    # chain is not the chain of the shards' files.
    from llm_markov_rs import train_chain
    from llm_markov_rs._markov import Chain
    from llm_markov_rs.saved import chain_path

    (block,) = [block for block in code_blocks("python") if "def train_shard" in block]
    lines = sherlock.splitlines(keepends=True)
    shards = [lines[: len(lines) // 2], lines[len(lines) // 2 :]]
    paths = []
    for index, shard in enumerate(shards):
        path = tmp_path / f"shard{index}.txt"
        path.write_text("".join(shard), encoding="utf-8")
        paths.append(str(path))
    namespace: dict = {}

    class Results:
        """What the workers would send back, made by the block's own
        train_shard when the driver's loop asks for it."""

        def __iter__(self):
            train_shard = namespace["train_shard"]
            return iter([train_shard(i, [path]) for i, path in enumerate(paths)])

    namespace["results"] = Results()
    monkeypatch.chdir(tmp_path)
    exec(block, namespace)
    train_chain("direct", [pathlib.Path(path) for path in paths], order=2)
    merged = Chain.load(chain_path("books"))[0]
    assert merged.to_bytes() == Chain.load(chain_path("direct"))[0].to_bytes()
