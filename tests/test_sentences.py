"""Output in whole sentences (``-o sentences N``), through llm's CLI and
Python API, on the novel and on made-up edge cases."""

from __future__ import annotations

import llm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llm_markov_rs import MarkovError

from helpers import assert_walk, sentence_ends, sentence_starts


def assert_sentences(output: list[str], text: str, count: int, order: int = 1) -> None:
    """``output`` starts where a sentence of ``text`` starts, ends right
    after the word that ends its ``count``th sentence, and walks the chain.
    The callers turn the copy guard off (``max_copy 0``): with it, a walk
    also restarts where the guard leaves no follower (tests/test_copy_guard.py)."""
    words = text.split()
    starts = sentence_starts(words)
    opening = output[:order]
    assert any(words[start : start + len(opening)] == opening for start in starts), (
        opening
    )
    ends = sentence_ends(words)
    assert sum(word in ends for word in output) == count, output
    assert output[-1] in ends, output
    assert_walk(output, text, order)


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("count", [1, 3])
def test_the_novel_in_whole_sentences(llm_cli, sherlock, order, count):
    for seed in range(4):
        result = llm_cli(
            "-m", "markov", "-o", "sentences", str(count), "-o", "order", str(order),
            "-o", "seed", str(seed), "-o", "max_copy", "0", input=sherlock,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert_sentences(result.output.split(), sherlock, count, order)


def test_the_log_counts_sentences_and_words(llm_cli, last_log, sherlock):
    result = llm_cli(
        "-m", "markov", "-o", "sentences", "2", "-o", "seed", "5", input=sherlock
    )
    entry = last_log()
    assert entry["response_json"]["sentences"] == 2
    assert entry["response_json"]["sentences_written"] == 2
    assert "sentences_note" not in entry["response_json"]
    assert entry["output_tokens"] == len(result.output.split())
    replay = llm_cli(
        "-m", "markov", "-o", "sentences", "2", "-o", "seed", "5", input=sherlock
    )
    assert replay.output == result.output


def test_without_sentences_nothing_changes(sherlock):
    model = llm.get_model("markov")
    plain = model.prompt(sherlock, seed=8, order=2)
    assert len(plain.text().split()) == 20
    assert "sentences" not in plain.response_json


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ('He said "Go home." Then "Why not?" she asked. "Fine!" he replied.', 2),
        ("(It was late.) We left [at once.] Nobody followed (really!) us.", 2),
        ("Mr. Holmes met Dr. Watson on Baker St. today. J. Smith came too. Fin.", 1),
        ("Salut. « Oui. » dit-il. Non ! Pourquoi ?", 3),
        ("これは 文です。 次の 文も！ 最後は？ 「はい。」 終わり。", 3),
        ("Wait… what? Really‼ No way⁉ Yes.", 2),
    ],
    ids=["quotes", "brackets", "abbreviations", "guillemets", "cjk", "unicode"],
)
def test_edge_cases_by_the_documented_rule(text, count):
    model = llm.get_model("markov")
    for seed in range(30):
        # The sentence rule alone: balancing would refuse to end "« Oui."
        response = model.prompt(
            text, sentences=count, seed=seed, max_copy=0, balanced=False
        )
        output = response.text().split()
        assert_sentences(output, text, count)
        assert response.response_json["sentences_written"] == count


def test_a_text_without_a_sentence_end_is_a_clear_error(llm_cli):
    # The bug: 1,000 words and a note to "raise length", which cannot help.
    result = llm_cli(
        "-m", "markov", "-o", "sentences", "3", "no punctuation here at all"
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: the text has no sentence end")
    assert "give length instead" in result.output


def test_the_cap_stops_long_sentences_and_says_why(llm_cli):
    # One sentence of 1,500 distinct words: the walk starts at its first
    # word and can only go on through it.
    words = [f"w{index}" for index in range(1500)]
    text = " ".join(words) + " end."
    # Steered (balanced, the default), no whole sentence fits in 50 words:
    # known before a word is written, and said.
    refused = llm_cli(
        "-m", "markov", "-o", "sentences", "2", "-o", "length", "50", text
    )  # fmt: skip
    assert refused.exit_code == 1
    assert refused.output.startswith("Error: no output can be a whole sentence")
    assert "within 50 words; raise length" in refused.output
    response = llm.get_model("markov").prompt(
        text, sentences=2, length=50, seed=1, max_copy=0, balanced=False
    )
    assert response.text().split() == words[:50]
    logged = response.response_json
    assert logged["sentences_written"] == 0
    assert (
        "stopped at the cap of 50 words after 0 of 2 sentences; raise length"
        in logged["sentences_note"]
    )
    # Without length, the cap is 1000 words, not 20.
    uncapped = llm.get_model("markov").prompt(
        text, sentences=1, seed=1, max_copy=0, balanced=False
    )
    assert uncapped.text().split() == words[:1000]


def test_a_text_that_is_one_sentence_repeats_it_without_the_guard():
    text = "The only sentence there is."
    model = llm.get_model("markov")
    output = model.prompt(text, sentences=3, seed=2, max_copy=0).text()
    assert output == " ".join([text] * 3)


def test_a_saved_chain_continues_the_prompt_to_the_nth_sentence_end(
    llm_cli, sherlock, tmp_path
):
    book = tmp_path / "book.txt"
    book.write_text(sherlock, encoding="utf-8")
    trained = llm_cli("markov", "train", "book", str(book), "--order", "2")
    assert trained.exit_code == 0, trained.output
    model = llm.get_model("markov/book")
    for seed in range(5):
        response = model.prompt("I had seen little", sentences=2, seed=seed, max_copy=0)
        output = response.text().split()
        assert response.response_json["start"] == {"continued_from": ["seen", "little"]}
        ends = sentence_ends(sherlock.split())
        assert sum(word in ends for word in output) == 2
        assert output[-1] in ends
        assert_walk(["seen", "little", *output], sherlock, order=2)
    result = llm_cli(
        "-m", "markov/book", "-o", "sentences", "1", "-o", "seed", "3",
        "-o", "max_copy", "0", "",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_sentences(result.output.split(), sherlock, 1, order=2)


def test_the_base_model_continues_start_words_to_the_nth_sentence_end(sherlock):
    response = llm.get_model("markov").prompt(
        sherlock, start="I had seen", sentences=1, order=2, seed=4
    )
    output = response.text().split()
    assert response.response_json["start"] == {"continued_from": ["had", "seen"]}
    assert sum(word in sentence_ends(sherlock.split()) for word in output) == 1
    assert_walk(["had", "seen", *output], sherlock, order=2)


@pytest.mark.parametrize("value", ["0", "-1", "many", "1.5"])
def test_bad_sentence_counts_are_refused(llm_cli, value):
    result = llm_cli("-m", "markov", "-o", "sentences", value, "a b. c d.")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "sentences" in result.output


words = st.sampled_from(
    ["a", "b.", "c!", "Mr.", 'd?"', "(e.)", "f", "g。", "h…", "J.", "\udcff.", "x"]
)


@settings(max_examples=100, deadline=None)
@given(
    text=st.one_of(
        st.lists(words, min_size=1, max_size=40).map(" ".join),
        st.text(st.characters(codec=None), max_size=60),
    ),
    count=st.integers(1, 4),
    order=st.integers(1, 3),
    seed=st.integers(0, 2**64 - 1),
)
def test_any_text_gives_n_sentences_or_the_cap(text, count, order, seed):
    if len(text.split()) < order:
        return
    cap = 200
    # The sentence rule and the cap alone (tests/test_steer.py balances).
    response = llm.get_model("markov").prompt(
        text,
        sentences=count,
        order=order,
        length=cap,
        seed=seed,
        max_copy=0,
        balanced=False,
    )
    ends = sentence_ends(text.split())
    if not ends:
        with pytest.raises(MarkovError, match="the text has no sentence end"):
            response.text()
        return
    output = response.text().split(" ")
    written = sum(word in ends for word in output)
    if len(output) < cap:
        assert written == count
        assert output[-1] in ends
    else:
        assert written <= count
    words_of_text = text.split()
    opening = output[:order]
    assert any(
        words_of_text[start : start + len(opening)] == opening
        for start in sentence_starts(words_of_text)
    )
    assert_walk(output, text, order)
