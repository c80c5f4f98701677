"""LLM_MARKOV_THREADS: the threads a build may use, for both models and for
training, and a clear error for a value that is not a count."""

from __future__ import annotations

import os
import random

import llm
import pytest

from helpers import files_in

#: What the development build prints on stderr, with
#: LLM_MARKOV_RS_TEST_MARKS set, when a build is given its threads.
THREADS_MARK = "llm-markov-rs: a build's threads: "


PARTS_MARK = "llm-markov-rs: a build's parts: "


def threads_given(stderr: str, mark: str = THREADS_MARK) -> list[int]:
    """The thread counts of the builds the test build reported (with
    ``PARTS_MARK``: how many threads split each text)."""
    return [
        int(line.removeprefix(mark))
        for line in stderr.splitlines()
        if line.startswith(mark)
    ]


@pytest.mark.parametrize(("threads", "parts"), [("1", 1), ("3", 2)])
def test_the_variable_caps_every_build(
    llm_cli, capfd, monkeypatch, tmp_path, sherlock, threads, parts
):
    # Bug: the variable read but not passed on, by one of the two ways a
    # chain is built (a prompt to markov, llm markov train).
    monkeypatch.setenv("LLM_MARKOV_RS_TEST_MARKS", "1")
    monkeypatch.setenv("LLM_MARKOV_THREADS", threads)
    # Over the 4 MiB below which a text is split on one thread whatever
    # the count, so that the count decides how many threads split it: one
    # when capped to one, else two (a third part needs 16 MiB more).
    book = tmp_path / "book.txt"
    book.write_text(sherlock * 40, encoding="utf-8")
    assert book.stat().st_size > 4 << 20
    capfd.readouterr()
    prompted = llm_cli("-m", "markov", "-o", "length", "5", "-f", str(book))
    assert prompted.exit_code == 0, prompted.output
    trained = llm_cli("markov", "train", "book", str(book))
    assert trained.exit_code == 0, trained.output
    stderr = capfd.readouterr().err
    assert threads_given(stderr) == [int(threads)] * 2
    assert threads_given(stderr, PARTS_MARK) == [parts] * 2


def test_unset_or_empty_means_every_core(llm_cli, capfd, monkeypatch, sherlock):
    monkeypatch.setenv("LLM_MARKOV_RS_TEST_MARKS", "1")
    monkeypatch.setenv("LLM_MARKOV_THREADS", " ")
    capfd.readouterr()
    result = llm_cli("-m", "markov", "-o", "length", "5", sherlock * 40)
    assert result.exit_code == 0, result.output
    stderr = capfd.readouterr().err
    # Every core this process may run on (Rust's available_parallelism,
    # which also reads a container's CPU quota; the CI machines have none
    # below their cores).
    cores = (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count()
    )
    assert threads_given(stderr) == [cores]
    assert threads_given(stderr, PARTS_MARK) == [min(cores, 2)]


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", "٣"])
def test_a_value_that_is_not_a_count_is_one_error_line(
    llm_cli, monkeypatch, tmp_path, user_path, value
):
    monkeypatch.setenv("LLM_MARKOV_THREADS", value)
    book = tmp_path / "book.txt"
    book.write_text("one two three four five", encoding="utf-8")
    for args in (
        ("-m", "markov", "one two three"),
        ("markov", "train", "b", str(book)),
    ):
        result = llm_cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output == (
            "Error: LLM_MARKOV_THREADS must be a whole number of threads, at "
            f"least 1, not {value!r}; unset it to use every core\n"
        )
    # The train lost nothing: no chain, no partial file.
    assert files_in(user_path / "markov") == []


def test_the_python_api_refuses_zero_threads():
    from llm_markov_rs import MarkovError
    from llm_markov_rs._markov import Chain

    with pytest.raises(MarkovError, match="threads must be at least 1"):
        Chain("one two three", 1, threads=0)
    assert Chain("one two three", 1, threads=2).token_count == 3


def test_train_help_names_the_variable(llm_cli):
    result = llm_cli("markov", "train", "--help")
    assert result.exit_code == 0
    assert "LLM_MARKOV_THREADS=N" in " ".join(result.output.split())


def text_that_is_not_ascii(characters: int) -> str:
    """Made-up words in other scripts, some longer than the interner's 16
    bytes, between ASCII and other separators, ``characters`` long or a
    little more."""
    rng = random.Random(7)
    syllables = ["ná", "dú", "ки", "мо", "日", "本", "ö", "ça", "ka", "語"]
    vocabulary = [
        "".join(rng.choices(syllables, k=rng.choice((1, 2, 3, 9, 14))))
        for _ in range(3_000)
    ]
    separators = [" ", " ", " ", "\n", "\u3000", "\xa0", "\t", "\x1c"]
    pieces: list[str] = []
    length = 0
    while length < characters:
        word = rng.choice(vocabulary)
        pieces += [word, rng.choice(separators)]
        length += len(word) + 1
    return "".join(pieces)


@pytest.mark.parametrize(("threads", "parts"), [("1", 1), ("2", 2)])
def test_a_long_text_that_is_not_ascii_has_the_words_python_splits(
    capfd, monkeypatch, threads, parts
):
    # Bugs: a word cut in two, or counted before its rest, where a chunk of
    # the string or a thread's part ends (such a text is read a chunk of
    # 2**20 characters at a time, encoded as each thread reaches it).
    monkeypatch.setenv("LLM_MARKOV_RS_TEST_MARKS", "1")
    monkeypatch.setenv("LLM_MARKOV_THREADS", threads)
    # Over 4 MiB, so that two threads split it, with chunks inside parts.
    text = text_that_is_not_ascii(4_600_000)
    words = text.split()
    capfd.readouterr()
    response = llm.get_model("markov").prompt(text, length=5)
    response.text()
    assert threads_given(capfd.readouterr().err, PARTS_MARK) == [parts]
    assert response.response_json["token_count"] == len(words)
    assert response.response_json["vocabulary_size"] == len(set(words))
    # The same chain, to the byte, as from the text's UTF-8 read whole.
    from llm_markov_rs._markov import Chain

    whole = Chain.build_piece(text.encode(), 2)
    assert Chain(text, 2).to_bytes() == whole.to_bytes()
