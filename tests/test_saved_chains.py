"""Saved chains through llm's CLI and Python API: train once, list, inspect,
prompt as ``markov/NAME`` (continuing the prompt), alias, remove."""

from __future__ import annotations

import asyncio
import io
import json
import os
import pathlib
import subprocess
import sys
import textwrap
import time

import llm
import pytest
from llm_markov_rs import MarkovError, train_chain

from helpers import PROMPT, assert_walk, reference_table


@pytest.fixture
def book(tmp_path, sherlock):
    path = tmp_path / "book.txt"
    path.write_text(sherlock, encoding="utf-8")
    return path


def train(llm_cli, name, *args, input=None):
    result = llm_cli("markov", "train", name, *args, input=input)
    assert result.exit_code == 0, result.output
    return result


def test_train_list_info_prompt_alias_remove(llm_cli, book, user_path, sherlock):
    trained = train(llm_cli, "sherlock", str(book), "--order", "2")
    assert "Saved chain 'sherlock'" in trained.output
    assert 'llm -m markov/sherlock "words to continue"' in trained.output

    listed = llm_cli("markov", "list").output
    assert "sherlock" in listed
    assert f"{len(sherlock.split()):,}" in listed
    (entry,) = json.loads(llm_cli("markov", "list", "--json").output)
    words = sherlock.split()
    assert entry["name"] == "sherlock"
    assert entry["model"] == "markov/sherlock"
    assert entry["order"] == 2
    assert entry["token_count"] == len(words)
    assert entry["vocabulary_size"] == len(set(words))
    assert (
        entry["file_size"] == (user_path / "markov" / "sherlock.markov").stat().st_size
    )
    assert entry["trained_from"] == [str(book)]
    assert entry["source_count"] == 1
    assert entry["trained_at"].startswith("20")

    info = json.loads(llm_cli("markov", "info", "sherlock", "--json").output)
    assert info["transition_count"] == len(words) - 2
    assert info == {**entry, "format_version": info["format_version"]}
    # The version of the file: the first four bytes after the magic number.
    saved = (user_path / "markov" / "sherlock.markov").read_bytes()
    assert info["format_version"] == int.from_bytes(saved[8:12], "little")
    assert str(user_path / "markov") == llm_cli("markov", "path").output.strip()

    assert "markov/sherlock" in llm_cli("models").output
    result = llm_cli("-m", "markov/sherlock", "-o", "length", "50", "Holmes")
    assert result.exit_code == 0, result.output
    assert_walk(["Holmes", *result.output.split()][-51:], sherlock, order=2)

    assert llm_cli("aliases", "set", "holmes", "markov/sherlock").exit_code == 0
    aliased = llm_cli("-m", "holmes", "-o", "seed", "5", "the")
    direct = llm_cli("-m", "markov/sherlock", "-o", "seed", "5", "the")
    assert aliased.output == direct.output

    removed = llm_cli("markov", "remove", "sherlock")
    assert removed.exit_code == 0, removed.output
    assert not (user_path / "markov" / "sherlock.markov").exists()
    assert "markov/sherlock" not in llm_cli("models").output
    gone = llm_cli("markov", "remove", "sherlock")
    assert gone.exit_code == 1
    assert "no saved chain called 'sherlock'" in gone.output


def test_train_reads_stdin_and_files_in_order(llm_cli, tmp_path):
    first, second = tmp_path / "one.txt", tmp_path / "two.txt"
    first.write_text("alpha beta alpha", encoding="utf-8")
    second.write_text("gamma delta gamma", encoding="utf-8")
    train(llm_cli, "both", str(first), "-", str(second), input="omega")
    (entry,) = json.loads(llm_cli("markov", "list", "--json").output)
    assert entry["trained_from"] == [str(first), "<stdin>", str(second)]
    assert entry["token_count"] == 7
    train(llm_cli, "piped", input="from a pipe only")
    piped = llm_cli("markov", "info", "piped", "--json").output
    assert json.loads(piped)["trained_from"] == ["<stdin>"]
    # The files are learned in order, joined by newlines.
    logged = llm.get_model("markov/both").prompt("alpha", length=2)
    logged.text()
    assert logged.response_json["start"] == {"continued_from": ["alpha"]}


@pytest.mark.parametrize("order", [1, 2, 3])
def test_the_first_word_follows_the_prompts_last_words(llm_cli, book, sherlock, order):
    train(llm_cli, "book", str(book), "--order", str(order), "--force")
    words = sherlock.split()
    table = reference_table(words, order)
    model = llm.get_model("markov/book")
    for position in range(1000, 1300, 37):
        prompt = " ".join(words[position - 5 : position])
        response = model.prompt(prompt, length=order + 5, seed=position)
        output = response.text().split()
        context = tuple(prompt.split()[-order:])
        assert output[0] in table[context], (context, output[0])
        assert response.response_json["start"] == {"continued_from": list(context)}
        # It continues the prompt; it does not repeat it.
        assert_walk([*context, *output], sherlock, order=order)


def test_it_backs_off_to_a_shorter_run_then_to_a_random_start(llm_cli, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("a b c a b d x b e", encoding="utf-8")
    train(llm_cli, "t", str(text), "--order", "2")
    model = llm.get_model("markov/t")
    backed_off = model.prompt("q x", length=2, seed=1)
    assert backed_off.text() == "b e"
    assert backed_off.response_json["start"] == {"continued_from": ["x"]}
    unknown = model.prompt("nothing here", length=4, seed=1)
    unknown.text()
    assert unknown.response_json["start"] == "random"
    empty = model.prompt("", length=4, seed=1)
    assert empty.text() == unknown.text()
    assert empty.response_json["start"] == "random"


def test_a_prompt_with_none_of_the_chains_words_says_so(llm_cli, tmp_path):
    # The bug: such a prompt started at random without a word to the user;
    # only the log's "start" showed it.
    text = tmp_path / "t.txt"
    text.write_text("a b c a b d x b e", encoding="utf-8")
    train(llm_cli, "t", str(text))
    unknown = llm_cli("-m", "markov/t", "-o", "length", "3", "nothing here")
    assert unknown.exit_code == 0
    assert unknown.stderr == (
        "Warning: the saved chain 't' has none of the prompt's last words, so "
        "its text starts at random; 'llm markov info t' shows what it was "
        "trained on\n"
    )
    assert len(unknown.stdout.split()) == 3
    known = llm_cli("-m", "markov/t", "-o", "length", "3", "nothing x")
    assert known.exit_code == 0
    assert known.stderr == ""
    # An empty prompt asks for no words to continue.
    assert llm_cli("-m", "markov/t", "-o", "length", "3", "").stderr == ""


def test_the_log_says_what_the_saved_model_did(llm_cli, last_log, book, sherlock):
    train(llm_cli, "book", str(book))
    result = llm_cli(
        "-m", "markov/book", "-o", "length", "7", "-o", "seed", "9", "I saw"
    )
    assert result.exit_code == 0
    entry = last_log()
    logged = entry["response_json"]
    assert logged["chain"] == "book"
    assert logged["seed"] == 9
    assert logged["order"] == 1
    assert logged["start"] == {"continued_from": ["saw"]}
    assert logged["token_count"] == len(sherlock.split())
    assert "transitions" not in logged
    assert entry["input_tokens"] == 2
    assert entry["output_tokens"] == 7


SEEDED = textwrap.dedent(
    """
    import asyncio, sys, llm
    name, seed = sys.argv[1], int(sys.argv[2])
    sync = llm.get_model(name).prompt("Holmes", length=40, seed=seed).text()
    async def run():
        return await llm.get_async_model(name).prompt(
            "Holmes", length=40, seed=seed
        ).text()
    print(sync == asyncio.run(run()))
    print(sync)
    """
)


def test_a_seed_replays_word_for_word_across_processes(llm_cli, book, user_path):
    train(llm_cli, "book", str(book), "--order", "2")

    def in_a_new_process(seed):
        result = subprocess.run(
            [sys.executable, "-c", SEEDED, "markov/book", str(seed)],
            capture_output=True,
            text=True,
            env={**os.environ, "LLM_USER_PATH": str(user_path)},
            check=True,
        )
        same, words = result.stdout.splitlines()
        assert same == "True"
        return words

    first = in_a_new_process(11)
    assert in_a_new_process(11) == first
    assert in_a_new_process(12) != first
    model = llm.get_model("markov/book")
    assert model.prompt("Holmes", length=40, seed=11).text() == first


def test_a_saved_model_takes_delay_and_length_as_markov_does(llm_cli, book):
    train(llm_cli, "book", str(book))
    response = llm.get_model("markov/book").prompt("the", length=5, delay=0.01, seed=2)
    chunks = list(response)
    assert len(chunks) == 5
    assert all(chunk.startswith(" ") for chunk in chunks[1:])
    started = time.monotonic()
    result = llm_cli(
        "-m", "markov/book", "-o", "length", "4", "-o", "delay", "0.15", "the"
    )
    assert result.exit_code == 0, result.output
    assert len(result.output.split()) == 4
    assert time.monotonic() - started >= 0.45


def test_giving_order_to_a_saved_model_is_a_clear_error(llm_cli, book):
    train(llm_cli, "book", str(book))
    result = llm_cli("-m", "markov/book", "-o", "order", "2", "Holmes")
    assert result.exit_code == 1
    assert "order belongs to the saved chain" in result.output
    assert "llm markov train NAME FILE --order K --force" in result.output
    options = llm_cli("models", "--options", "-m", "markov/book").output
    assert "length:" in options
    assert "order:" not in options


def test_the_base_model_continues_start_words(llm_cli, book, sherlock):
    result = llm_cli(
        "-m", "markov", "-o", "start", "Holmes said", "-o", "order", "2",
        "-o", "length", "30", "-f", str(book),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    response = llm.get_model("markov").prompt(
        sherlock, start="I had seen", order=2, length=30, seed=3
    )
    output = response.text().split()
    assert response.response_json["start"] == {"continued_from": ["had", "seen"]}
    assert_walk(["had", "seen", *output], sherlock, order=2)


def test_each_conversation_turn_continues_its_own_words(llm_cli, last_log, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("red green blue red green yellow", encoding="utf-8")
    train(llm_cli, "colours", str(text))
    conversation = llm.get_model("markov/colours").conversation()
    first = conversation.prompt("blue", length=2, seed=1)
    assert first.text().split()[0] == "red"
    second = conversation.prompt("yellow red", length=2, seed=1)
    assert second.text().split()[0] == "green"
    assert second.response_json["start"] == {"continued_from": ["red"]}
    assert llm_cli("-m", "markov/colours", "-o", "length", "2", "blue").exit_code == 0
    continued = llm_cli("-c", "-o", "length", "2", "-o", "seed", "1", "yellow red")
    assert continued.exit_code == 0, continued.output
    assert continued.output.split()[0] == "green"
    assert last_log()["response_json"]["start"] == {"continued_from": ["red"]}
    chat = llm_cli(
        "chat", "-m", "markov/colours", "-o", "length", "2", input="green\nquit\n"
    )
    assert chat.exit_code == 0, chat.output
    assert any(
        line.split()[:1] in (["blue"], ["yellow"]) for line in chat.output.splitlines()
    ), chat.output


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Sherlock", "cannot name a chain"),
        ("has space", "cannot name a chain"),
        ("../escape", "cannot name a chain"),
        ("-dash-first", "cannot name a chain"),
        ("x" * 65, "cannot name a chain"),
        ("", "cannot name a chain"),
    ],
)
def test_names_are_checked(llm_cli, book, user_path, name, message):
    # "--" so that a name starting with a dash reaches the name check.
    result = llm_cli("markov", "train", "--", name, str(book))
    assert result.exit_code == 1
    assert message in result.output
    assert not (user_path / "markov").exists() or not any(
        (user_path / "markov").iterdir()
    )


def test_an_existing_name_is_kept_unless_forced(llm_cli, book, tmp_path):
    train(llm_cli, "book", str(book))
    other = tmp_path / "other.txt"
    other.write_text("completely different words here", encoding="utf-8")
    refused = llm_cli("markov", "train", "book", str(other))
    assert refused.exit_code == 1
    assert "already exists" in refused.output
    assert "--force" in refused.output
    assert (
        json.loads(llm_cli("markov", "list", "--json").output)[0]["token_count"] > 100
    )
    train(llm_cli, "book", str(other), "--force")
    assert json.loads(llm_cli("markov", "list", "--json").output)[0]["token_count"] == 4


def test_bad_text_names_the_file_and_byte_and_suggests_an_encoding(llm_cli, tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes(
        "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e caf\u00e9".encode("latin-1")
    )
    result = llm_cli("markov", "train", "menu", str(latin))
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    assert str(latin) in line
    assert "byte 3 (0xe9)" in line
    assert "--encoding" in line
    train(llm_cli, "menu", str(latin), "--encoding", "latin-1")
    output = llm.get_model("markov/menu").prompt("caf\u00e9", length=3, seed=1).text()
    assert set(output.split()) <= {"caf\u00e9", "cr\u00e8me", "br\u00fbl\u00e9e"}
    piped = llm_cli("markov", "train", "piped", input=latin.read_bytes())
    assert piped.exit_code == 1
    assert piped.output.startswith("Error: <stdin> is not valid utf-8 text: byte 3")
    unknown = llm_cli("markov", "train", "x", str(latin), "--encoding", "klingon")
    assert unknown.exit_code == 1
    assert "'klingon' is not an encoding" in unknown.output


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        # The bugs: each raised a traceback (UnicodeError, TypeError,
        # binascii.Error) instead of one line.
        ("utf-16", "cannot be read as utf-16 text (UTF-16 stream does not start"),
        ("rot13", "'rot13' is not a text encoding"),
        ("base64", "'base64' is not a text encoding"),
        ("hex", "'hex' is not a text encoding"),
    ],
)
def test_an_encoding_that_cannot_read_the_text_is_one_line(
    llm_cli, tmp_path, encoding, message
):
    # UTF-16 without a byte order mark.
    path = tmp_path / "bare16.txt"
    path.write_bytes("the cat sat on the mat\n".encode("utf-16-le"))
    for source, given in ((str(path), None), ("-", path.read_bytes())):
        result = llm_cli(
            "markov", "train", "t", source, "--encoding", encoding, input=given
        )
        assert result.exit_code == 1, result.output
        (line,) = result.output.strip().splitlines()
        assert line.startswith("Error: ")
        assert message in line
    assert not (llm.user_dir() / "markov" / "t.markov").exists()
    train(llm_cli, "t", str(path), "--encoding", "utf-16-le")


def test_a_bad_byte_far_into_a_large_file_is_found(llm_cli, tmp_path):
    big = tmp_path / "big.txt"
    # Past the first read chunk, with a multi-byte character straddling it.
    good = ("\u00e9t\u00e9 " * 400_000).encode()
    big.write_bytes(good + b"\xff tail")
    result = llm_cli("markov", "train", "big", str(big))
    assert result.exit_code == 1
    assert f"byte {len(good)} (0xff)" in result.output


def test_missing_files_and_bad_orders_are_one_line_errors(llm_cli, tmp_path, user_path):
    for args, message in [
        ([str(tmp_path / "nope.txt")], "cannot read"),
        ([str(tmp_path)], "cannot read"),
        (["--order", "0", "-"], "--order must be between 1 and 100"),
        (["--order", "101", "-"], "--order must be between 1 and 100"),
    ]:
        result = llm_cli("markov", "train", "x", *args, input="a b c")
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: ")
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
    empty = llm_cli("markov", "train", "x", input="  \n ")
    assert "needs some words" in empty.output
    assert not (user_path / "markov" / "x.markov").exists()


def test_prompting_a_chain_that_is_gone_says_so(llm_cli, book, user_path):
    train(llm_cli, "book", str(book))
    model = llm.get_model("markov/book")
    (user_path / "markov" / "book.markov").unlink()
    with pytest.raises(MarkovError, match="no saved chain called 'book'"):
        model.prompt("Holmes").text()


def test_train_chain_from_python_strings_and_files(book, sherlock, user_path):
    info = train_chain("mixed", ["the cat sat", book], order=2)
    assert info.name == "mixed"
    assert info.token_count == 3 + len(sherlock.split())
    assert info.trained_from == ["<text>", str(book)]
    assert info.path == user_path / "markov" / "mixed.markov"
    with pytest.raises(MarkovError, match="already exists"):
        train_chain("mixed", ["other words"])
    train_chain("mixed", ["other words here"], replace=True)
    output = llm.get_model("markov/mixed").prompt("other", length=2, seed=1).text()
    assert output == "words here"


def test_async_saved_model_continues_too(llm_cli, book, sherlock):
    train(llm_cli, "book", str(book), "--order", "2")

    async def run() -> tuple[str, dict]:
        response = llm.get_async_model("markov/book").prompt(
            "it was", length=20, seed=4
        )
        return await response.text(), response.response_json

    output, logged = asyncio.run(run())
    assert logged["start"] == {"continued_from": ["it", "was"]}
    assert_walk(["it", "was", *output.split()], sherlock, order=2)


def test_a_chain_of_a_repeated_text_is_the_size_of_one_copy(llm_cli, tmp_path):
    once, many = tmp_path / "once.txt", tmp_path / "many.txt"
    once.write_text(PROMPT, encoding="utf-8")
    many.write_text((PROMPT + "\n") * 1000, encoding="utf-8")
    # Without the copy guard's index, which grows with the text.
    train(llm_cli, "once", str(once), "--no-copy-guard")
    train(llm_cli, "many", str(many), "--no-copy-guard")
    sizes = {
        entry["name"]: entry["file_size"]
        for entry in json.loads(llm_cli("markov", "list", "--json").output)
    }
    # The same followers, larger counts; the metadata differs a little.
    assert abs(sizes["many"] - sizes["once"]) < 64, sizes


def on_a_terminal(arguments: list[str], user: pathlib.Path) -> tuple[int, bytes, bytes]:
    """Runs ``llm ARGUMENTS`` with its stderr on a pseudo-terminal: its
    exit code, what it drew there, and its stdout."""
    import pty

    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "llm", *arguments],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, "LLM_USER_PATH": str(user)},
    ) as process:
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            drawn += chunk
        stdout = process.stdout.read()
    os.close(controller)
    return process.returncode, drawn, stdout


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX")
def test_training_shows_progress_on_a_terminal_only(llm_cli, tmp_path, sherlock):
    book = tmp_path / "big.txt"
    book.write_text(sherlock * 12, encoding="utf-8")  # over 1 MiB: built watched
    returncode, drawn, stdout = on_a_terminal(
        ["markov", "train", "big", str(book)], tmp_path / "user"
    )
    assert returncode == 0, drawn
    assert b"Saved chain 'big'" in stdout
    # The text is read and built in pieces: one bar for all of it.
    stages = (b"training", b"indexing for the copy guard ...", b"saving")
    for stage in stages:
        assert stage in drawn, drawn
    assert b"100%" in drawn
    # Not a terminal: no progress at all.
    quiet = llm_cli("markov", "train", "quiet", str(book))
    assert quiet.exit_code == 0
    assert "indexing" not in quiet.output
    assert "\r" not in quiet.output


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX")
def test_info_shows_its_check_of_the_copy_index_on_a_terminal_only(
    llm_cli, tmp_path, sherlock, user_path
):
    # The bug: info checks a guarded chain's whole index, about 3 seconds
    # for a 1 GB text's and 14 for 4 GB's, with nothing on the terminal
    # until it is done.
    assert llm_cli("markov", "train", "guarded", "-", input=sherlock).exit_code == 0
    assert (
        llm_cli(
            "markov", "train", "plain", "--no-copy-guard", "-", input=sherlock
        ).exit_code
        == 0
    )
    returncode, drawn, stdout = on_a_terminal(["markov", "info", "guarded"], user_path)
    assert returncode == 0, drawn
    assert b"name: guarded" in stdout
    assert b"checking the copy index" in drawn, drawn
    assert drawn.rstrip().endswith(b"100%"), drawn
    # Without an index there is nothing to check, and no bar.
    returncode, drawn, stdout = on_a_terminal(["markov", "info", "plain"], user_path)
    assert returncode == 0, drawn
    assert b"checking" not in drawn, drawn
    # Not a terminal: no progress at all.
    quiet = llm_cli("markov", "info", "guarded")
    assert quiet.exit_code == 0
    assert "checking" not in quiet.output
    assert "\r" not in quiet.output


def test_progress_names_every_stage_of_a_guarded_train_in_order(
    user_path, tmp_path, sherlock
):
    # The bug: the bar sat at "linking 100%" while the copy index's suffix
    # array was sorted, the plan for sentences found and the file saved,
    # for seconds on a large text, with nothing to say what was going on.
    book = tmp_path / "big.txt"
    book.write_text(sherlock * 12, encoding="utf-8")  # over 1 MiB: watched
    seen: list[tuple[str, int, int]] = []
    info = train_chain(
        "staged",
        [book],
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    stages = [stage for stage, _, _ in seen]
    order = list(dict.fromkeys(stages))
    assert order == ["training", "indexing", "planning", "saving"]
    # Each stage once, in one stretch.
    assert [
        stage
        for index, stage in enumerate(stages)
        if stage != stages[index - 1] or index == 0
    ] == order
    assert all(
        report == ("indexing", 0, 0) for report in seen if report[0] == "indexing"
    )
    assert seen[-1] == ("saving", info.file_size, info.file_size)
    # Without the copy guard there is no sort, and no such stage.
    seen.clear()
    train_chain(
        "plain", [book], copy_guard=False, progress=lambda *report: seen.append(report)
    )
    assert "indexing" not in {stage for stage, _, _ in seen}


def test_a_save_that_sorts_a_long_index_says_so(
    user_path, tmp_path, sherlock, monkeypatch
):
    # A text of more than a window (33.6 million tokens; the test build
    # takes windows of 997) has its copy index sorted a window at a time
    # as it is saved. The bug: the bar said "saving" with no end while it
    # sorted, for seconds at a window, as if the save had stalled.
    book = tmp_path / "book.txt"
    book.write_text(sherlock, encoding="utf-8")
    monkeypatch.setenv("LLM_MARKOV_RS_TEST_WINDOWS", "997,9")
    seen: list[tuple[str, int, int]] = []
    info = train_chain(
        "windowed",
        [book],
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    order = list(dict.fromkeys(stage for stage, _, _ in seen))
    assert order == ["training", "planning", "indexing and saving"]
    saving = [report for report in seen if report[0] == "indexing and saving"]
    assert [done for _, done, _ in saving] == sorted(done for _, done, _ in saving)
    assert all(total == info.file_size for _, _, total in saving)
    assert saving[-1] == ("indexing and saving", info.file_size, info.file_size)
    # On a terminal, the stage has a label of its own and reaches its end.
    from llm_markov_rs.commands import TerminalProgress

    drawn = io.StringIO()
    bar = TerminalProgress(drawn)
    for report in seen:
        bar(*report)
    bar.finish()
    assert "indexing and saving" in drawn.getvalue()
    assert drawn.getvalue().rstrip().endswith("100%")
    # One window: the index is sorted first, then saved.
    monkeypatch.delenv("LLM_MARKOV_RS_TEST_WINDOWS")
    seen.clear()
    train_chain("whole", [book], progress=lambda *report: seen.append(report))
    assert list(dict.fromkeys(stage for stage, _, _ in seen)) == [
        "training",
        "indexing",
        "planning",
        "saving",
    ]


def test_train_chain_refuses_a_lone_string_or_path(book, user_path):
    # The bug: a str is iterable, so it trained on one-character texts.
    for sources in ("some text to learn", book, str(book)):
        with pytest.raises(MarkovError, match="not a single"):
            train_chain("lone", sources)
    assert not (user_path / "markov" / "lone.markov").exists()


def test_giving_start_to_a_saved_model_says_where_it_starts(llm_cli, book):
    train(llm_cli, "book", str(book))
    result = llm_cli("-m", "markov/book", "-o", "start", "Holmes", "Watson")
    assert result.exit_code == 1
    assert "a saved chain starts from the prompt" in result.output
    assert "Extra inputs" not in result.output


def test_many_sources_keep_the_metadata_small(llm_cli, tmp_path, user_path):
    # The bug: every name went into the metadata, and 20,000 long paths
    # failed the save after the whole build.
    folder = tmp_path / ("a-folder-with-a-long-name-" * 3)
    folder.mkdir()
    files = []
    for index in range(20_000):
        path = folder / f"part-{index:05}.txt"
        path.write_text(f"word{index % 7} next{index % 5}", encoding="utf-8")
        files.append(path)
    info = train_chain("many", files, copy_guard=False)
    assert info.source_count == 20_000
    assert info.trained_from == [str(path) for path in files[:20]]
    listed = llm_cli("markov", "list").output
    assert f"{files[19]} and 19,980 more" in listed
    assert (user_path / "markov" / "many.markov").stat().st_size < 10_000


def test_list_shows_unreadable_truncated_and_misnamed_files(llm_cli, book, user_path):
    train(llm_cli, "good", str(book))
    train(llm_cli, "cut", str(book))
    folder = user_path / "markov"
    whole = (folder / "cut.markov").read_bytes()
    # Truncated past its header: only the size tells.
    (folder / "cut.markov").write_bytes(whole[: len(whole) - 100])
    (folder / "Bad Name.markov").write_bytes(whole)
    result = llm_cli("markov", "list")
    assert result.exit_code == 0
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert " ".join(rows["cut"].split()).endswith(
        "unreadable: see llm markov info cut -"
    )
    assert "good" in rows
    assert "Bad Name.markov" in result.stderr
    assert "is not a chain name" in result.stderr
    info = llm_cli("markov", "info", "cut")
    assert info.exit_code == 1
    assert "truncated" in info.output


def test_info_groups_numbers_as_list_does(llm_cli, book, sherlock):
    train(llm_cli, "book", str(book))
    words = f"{len(sherlock.split()):,}"
    assert words in llm_cli("markov", "list").output
    assert f"token_count: {words}" in llm_cli("markov", "info", "book").output


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX")
def test_train_from_a_terminal_says_it_reads_standard_input(tmp_path):
    import pty

    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "llm", "markov", "train", "typed"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "LLM_USER_PATH": str(tmp_path / "user")},
    ) as process:
        os.close(terminal)
        os.write(controller, b"words typed at the terminal\n\x04")
        stdout, stderr = process.communicate(timeout=30)
    os.close(controller)
    assert process.returncode == 0, stderr
    assert b"Reading standard input (Ctrl-D to end)" in stderr
    assert b"Saved chain 'typed'" in stdout


def test_a_file_where_the_chains_folder_goes_breaks_no_llm_command(
    llm_cli, user_path, tmp_path
):
    # The bug: register_models scanned it and raised NotADirectoryError, so
    # `llm models`, `llm markov list` and every prompt failed with a
    # traceback; train raised FileExistsError after building the chain.
    (user_path / "markov").write_text("not a folder", encoding="utf-8")
    models = llm_cli("models")
    assert models.exit_code == 0
    assert "Markov: markov" in models.output
    prompt = llm_cli("-m", "markov", "-o", "length", "3", "-o", "seed", "1", "a b c")
    assert prompt.exit_code == 0
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat\n", encoding="utf-8")
    for arguments in (("markov", "list"), ("markov", "train", "t", str(text))):
        result = llm_cli(*arguments)
        assert result.exit_code == 1
        assert result.output == (
            f"Error: {user_path / 'markov'}, where saved chains are kept, is a "
            "file, not a folder: move it away, and saved chains will be kept "
            "there\n"
        )
    assert (user_path / "markov").read_text(encoding="utf-8") == "not a folder"
