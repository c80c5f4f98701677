"""The four token modes through llm's CLI and Python API: poems keep their
lines, Chinese, Japanese and Thai are cut into words, names are invented
letter by letter, and every mode works with saved chains."""

from __future__ import annotations

import asyncio
import itertools
import json
import re

import llm
import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

POEM = (DATA / "poem.txt").read_text(encoding="utf-8")
CHINESE = (DATA / "chinese.txt").read_text(encoding="utf-8")
JAPANESE = (DATA / "japanese.txt").read_text(encoding="utf-8")
THAI = (DATA / "thai.txt").read_text(encoding="utf-8")
MIXED = (DATA / "mixed.txt").read_text(encoding="utf-8")
NAMES = (DATA / "names.txt").read_text(encoding="utf-8")

LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def tokenize(text: str, tokens: str) -> list[str]:
    from llm_markov_rs._markov import tokenize

    return tokenize(text, tokens)


def joined(tokens: list[str], mode: str) -> str:
    """Tokens joined as a walk writes them: each after the break of the one
    before it, the last one's break left off."""
    if mode == "words":
        return " ".join(tokens)
    if mode == "chars":
        return "".join(tokens)
    text = "".join(tokens)
    return text[: len(text.rstrip(" \n"))] if tokens else ""


def normalized(text: str) -> str:
    """The text with each run of whitespace made one space, one line break
    or one blank line, as the README says, and none at either end."""

    def one_break(run: re.Match[str]) -> str:
        breaks = len(re.findall(f"\r\n|[{LINE_BREAKS}]", run.group()))
        return " " if breaks == 0 else "\n" if breaks == 1 else "\n\n"

    # str.split()'s whitespace: str.isspace().
    spaces = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
    return re.sub(f"[{re.escape(spaces)}]+", one_break, text.strip(spaces))


def generate(text: str, **options) -> llm.Response:
    response = llm.get_model("markov").prompt(text, **options)
    response.text()
    return response


def assert_follows_the_chain(output: str, response: llm.Response, mode: str) -> None:
    """Every token of an order-1 output followed the one before it in the
    text, but after a dead end (a token with no follower)."""
    transitions = response.response_json["transitions"]
    assert transitions, "the test needs the table in the log"
    tokens = tokenize(output, mode)
    # The output's last token shows no break, so it is compared bare.
    for before, after in itertools.pairwise(tokens[:-1]):
        if before in transitions:
            assert after in transitions[before], (before, after)
    last_followers = transitions.get(tokens[-2], {}) if len(tokens) > 1 else {}
    assert not last_followers or any(
        follower.rstrip(" \n") == tokens[-1].rstrip(" \n")
        for follower in last_followers
    )


def test_a_poem_keeps_its_lines_and_stanzas(llm_cli):
    # Bug: every token written with a space after it, so a poem came out
    # as one long line.
    result = llm_cli(
        "-m", "markov", "-o", "tokens", "lines", "-o", "length", "300",
        "-o", "seed", "4", input=POEM,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    output = result.output.removesuffix("\n")
    lines = output.split("\n")
    assert "" in lines, "no stanza break"
    poem_line_ends = {line.split()[-1] for line in POEM.splitlines() if line}
    # Every full line ends as a line of the poem ends (the last line is
    # cut where the length fell).
    for line in lines[:-1]:
        if line:
            assert line.split()[-1] in poem_line_ends, line
    words = llm_cli("-m", "markov", "-o", "length", "300", input=POEM).output
    assert words.count("\n") == 1, "words mode writes one line"


@pytest.mark.parametrize("seed", range(5))
def test_a_lines_walk_breaks_lines_where_the_chain_says(seed):
    response = generate(POEM, tokens="lines", length=150, seed=seed)
    output = response.text()
    assert response.response_json["tokens"] == "lines"
    assert "hill,\n" in response.response_json["transitions"]["the "]
    assert_follows_the_chain(output, response, "lines")


@pytest.mark.parametrize(
    ("text", "word"),
    [(CHINESE, "公园"), (JAPANESE, "図書館"), (THAI, "อาหาร")],
    ids=["chinese", "japanese", "thai"],
)
def test_text_without_spaces_is_cut_into_dictionary_words(text, word):
    # Bug: words mode makes each whole line one word, and a chain of
    # lines copies its text.
    tokens = [token.rstrip(" \n") for token in tokenize(text, "unicode")]
    # A word of the dictionary, cut as one token. (Checking it within the
    # tokens joined held for any cut.)
    assert word in tokens
    assert sum(len(token) >= 2 for token in tokens) * 3 >= len(tokens)
    assert max(len(token) for token in tokens) <= 8, "whole lines, not words"
    assert len(tokenize(text, "words")) < len(tokens) / 4
    known = set(tokenize(text, "unicode"))
    for seed in range(5):
        output = generate(text, tokens="unicode", order=1, length=80, seed=seed).text()
        cut = tokenize(output, "unicode")
        # No space where the text had none: every token of the output is
        # one of the text's, with its break.
        for token in cut[:-1]:
            assert token in known, token
        if text is not THAI:
            assert " " not in output


def test_chinese_sentences_end_at_its_full_stop():
    response = generate(CHINESE, tokens="unicode", order=2, sentences=2, seed=3)
    output = response.text()
    assert output.endswith("。")
    assert output.count("。") == 2, output
    assert response.response_json["sentences_written"] == 2


def test_english_punctuation_stays_attached():
    # Bug: punctuation as its own token joined by spaces ("said , ").
    for seed in range(10):
        output = generate(MIXED * 3, tokens="unicode", length=120, seed=seed).text()
        for detached in (" ,", " .", " ;", " !", "欢 迎"):
            assert detached not in output, (detached, output)


def test_mixed_scripts_keep_both_kinds_of_words():
    tokens = [token.rstrip(" \n") for token in tokenize(MIXED, "unicode")]
    assert "welcome" in tokens
    assert "欢迎" in tokens
    assert '"' in tokens
    assert joined(tokenize(MIXED, "unicode"), "unicode") == normalized(MIXED)


def test_invented_names_are_runs_of_real_names(llm_cli):
    # Bug: characters taken as words, or a walk that jumps between states
    # that did not follow each other.
    # Order 2: with only 31 names, order 3 mostly copies them.
    order = 2
    result = llm_cli(
        "-m", "markov", "-o", "tokens", "chars", "-o", "order", str(order),
        "-o", "length", "1500", "-o", "seed", "12", input=NAMES,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    output = result.output.removesuffix("\n")
    # The list's last characters ("a\n") recur, so the walk never hits a
    # dead end and never restarts.
    for start in range(len(output) - order):
        run = output[start : start + order + 1]
        assert run in NAMES, run
    names = [name for name in output.split("\n")[1:-1] if name]
    assert len(names) > 50
    assert set(names) - set(NAMES.split()), "every name was copied"


@pytest.mark.parametrize("mode", ["words", "lines", "unicode", "chars"])
def test_a_seed_replays_and_the_prompt_is_cut_the_same_way(mode):
    text = POEM + CHINESE
    first = generate(text, tokens=mode, order=2, length=60, seed=7)
    again = generate(text, tokens=mode, order=2, length=60, seed=7)
    assert first.text() == again.text()
    assert generate(text, tokens=mode, order=2, length=60, seed=8).text() != (
        first.text()
    )
    usage = first.usage()
    assert usage.input == len(tokenize(text, mode))
    assert usage.output == 60
    # A start is cut as the text is: its last tokens are continued.
    start = {"words": "the hill", "lines": "upon the", "unicode": "我们", "chars": "hi"}
    response = generate(
        text, tokens=mode, order=2, length=20, seed=1, start=start[mode]
    )
    assert response.response_json["start"] != "random"


def test_the_async_model_takes_tokens():
    async def run() -> str:
        model = llm.get_async_model("markov")
        response = model.prompt(POEM, tokens="lines", length=40, seed=2)
        return await response.text()

    assert (
        asyncio.run(run()) == generate(POEM, tokens="lines", length=40, seed=2).text()
    )


def test_options_list_documents_tokens(llm_cli):
    result = llm_cli("models", "--options", "-m", "markov")
    assert "tokens:" in result.output
    assert "unicode" in result.output
    assert "chars" in result.output
    bad = llm_cli("-m", "markov", "-o", "tokens", "letters", "some text")
    assert bad.exit_code == 1
    assert "tokens must be one of words, lines, unicode, chars" in bad.output


def test_a_saved_chain_keeps_its_tokens(llm_cli, tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text(POEM, encoding="utf-8")
    trained = llm_cli("markov", "train", "poem", str(path), "--tokens", "lines")
    assert trained.exit_code == 0, trained.output
    assert "Saved chain 'poem' (lines): order 1, " in trained.output
    assert re.search(r"poem\s+lines\s+1\s", llm_cli("markov", "list").output)
    info = json.loads(llm_cli("markov", "info", "poem", "--json").output)
    assert info["tokens"] == "lines"
    # The prompt ends without a break: "mill" continues as "mill\n".
    response = llm.get_model("markov/poem").prompt("along the mill", seed=1, length=30)
    output = response.text()
    assert response.response_json["tokens"] == "lines"
    assert response.response_json["start"] == {"continued_from": ["mill"]}
    assert response.usage().input == 3
    assert "\n" in output
    refused = llm_cli("-m", "markov/poem", "-o", "tokens", "words", "the hill")
    assert refused.exit_code == 1
    assert "--tokens MODE --force" in refused.output
    bad = llm_cli("markov", "train", "other", str(path), "--tokens", "bytes")
    assert bad.exit_code == 1
    assert "Error: tokens must be one of" in bad.output


@settings(max_examples=150, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(
            [
                *"ab ,.!?\t\n\r\u3000\u2028\u00a0é\u0301\x1c",
                *["公园", "我们", "。", "กิน", "\r\n", "\ud800"],
            ]
        ),
        max_size=30,
    ).map("".join),
    mode=st.sampled_from(["words", "lines", "unicode", "chars"]),
)
def test_tokens_joined_give_back_the_text(text, mode):
    # Bug: a break lost or doubled at a part's edge, or whitespace kept
    # inside a token.
    tokens = tokenize(text, mode)
    expected = {
        "words": " ".join(text.split()),
        "lines": normalized(text),
        "unicode": normalized(text),
        "chars": text,
    }[mode]
    assert joined(tokens, mode) == expected
