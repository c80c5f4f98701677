"""Chains that grow: ``llm markov merge``, ``llm markov train --add``, and
training in pieces. Each file is its own document, so merging the chains
of texts gives the same chain, byte for byte, as training on the texts."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from itertools import groupby

import llm
import llm_markov_rs.train
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from llm_markov_rs import MarkovError, merge_chains, train_chain
from llm_markov_rs._markov import Chain, GrowingChain
from llm_markov_rs.info import read_info
from llm_markov_rs.saved import chain_path

from helpers import reference_table


def saved_bytes(name: str) -> bytes:
    """The chain saved as ``name``, without its metadata (which says when
    and from what it was made)."""
    return Chain.load(chain_path(name))[0].to_bytes()


def train(llm_cli, name: str, *arguments: object) -> None:
    """``llm markov train NAME ARGUMENTS...``, which must succeed."""
    result = llm_cli("markov", "train", name, *map(str, arguments))
    assert result.exit_code == 0, result.output


@pytest.fixture
def halves(tmp_path, sherlock):
    """The novel excerpt cut in two files at a line start."""
    text = sherlock
    cut = text.index("\n", len(text) // 2) + 1
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text(text[:cut], encoding="utf-8")
    second.write_text(text[cut:], encoding="utf-8")
    return first, second


@pytest.fixture(params=["in memory", "in a file"])
def kept(request, monkeypatch) -> str:
    """Where a test's merged copy index texts are kept: in memory, or in
    a temporary file as a long text's are (the test build keeps any text
    over 50 tokens in one), so that a merge, a weight or --add that reads
    its text back from the file at the wrong place makes other bytes."""
    if request.param == "in a file":
        monkeypatch.setenv("LLM_MARKOV_RS_TEST_SPILL_ABOVE", "50")
    return str(request.param)


def test_merging_the_chains_of_two_files_is_training_on_both(llm_cli, halves, kept):
    # The bug: files joined into one text (a transition across them), or a
    # merge that renumbers, so the same seed writes other words.
    first, second = halves
    for name, files in (("a", [first]), ("b", [second]), ("ab", [first, second])):
        assert (
            llm_cli("markov", "train", name, *map(str, files), "--order", "2").exit_code
            == 0
        )
    result = llm_cli("markov", "merge", "merged", "a", "b")
    assert result.exit_code == 0, result.output
    assert "Saved chain 'merged': order 2" in result.output
    assert saved_bytes("merged") == saved_bytes("ab")
    # In the other order, the copy index holds the texts the other way
    # round; the chain is the same.
    assert llm_cli("markov", "merge", "reversed", "b", "a").exit_code == 0
    user = llm.user_dir() / "markov"
    reversed_chain = Chain.load(user / "reversed.markov")[0]
    assert (
        reversed_chain.transitions() == Chain.load(user / "ab.markov")[0].transitions()
    )
    prompt = ["-o", "seed", "5", "-o", "length", "30", "-o", "max_copy", "6"]
    merged = llm_cli("prompt", "-m", "markov/merged", *prompt)
    assert merged.exit_code == 0, merged.output
    assert merged.output == llm_cli("prompt", "-m", "markov/ab", *prompt).output
    info = json.loads(llm_cli("markov", "info", "merged", "--json").output)
    assert info["source_count"] == 2
    assert info["copy_guard"] is True


@pytest.mark.parametrize("guard", [[], ["--no-copy-guard"]])
def test_a_weight_counts_a_chain_that_many_times(llm_cli, halves, guard, kept):
    # The bug: for a guarded chain, weight 2 doubled the counts but kept
    # its text once in the copy index, so the file's word count and its
    # index disagreed, and it was not merging the chain twice.
    first, _ = halves
    train(llm_cli, "a", str(first), *guard)
    twice = llm_cli("markov", "train", "twice", str(first), str(first), *guard)
    assert twice.exit_code == 0, twice.output
    result = llm_cli("markov", "merge", "weighted", "a", "--weight", "a=2")
    assert result.exit_code == 0, result.output
    chain = Chain.load(llm.user_dir() / "markov" / "weighted.markov")[0]
    expected = Chain.load(llm.user_dir() / "markov" / "twice.markov")[0]
    assert chain.to_bytes() == expected.to_bytes()
    # Naming a chain twice, with a weight, counts it the weight's times
    # for each naming.
    four = llm_cli("markov", "merge", "four", "a", "a", "--weight", "a=2")
    assert four.exit_code == 0, four.output
    assert (
        Chain.load(llm.user_dir() / "markov" / "four.markov")[0].token_count
        == 4 * Chain.load(llm.user_dir() / "markov" / "a.markov")[0].token_count
    )


def test_adding_a_file_is_training_on_both(llm_cli, halves, kept):
    # The bug: --add that replaced the chain, joined the new text to the
    # old, or lost the copy guard's index.
    first, second = halves
    assert (
        llm_cli("markov", "train", "grown", str(first), "--order", "2").exit_code == 0
    )
    result = llm_cli("markov", "train", "grown", str(second), "--add")
    assert result.exit_code == 0, result.output
    assert (
        llm_cli(
            "markov", "train", "both", str(first), str(second), "--order", "2"
        ).exit_code
        == 0
    )
    assert saved_bytes("grown") == saved_bytes("both")
    info = json.loads(llm_cli("markov", "info", "grown", "--json").output)
    assert info["trained_from"] == [str(first), str(second)]
    assert info["copy_guard"] is True


def test_adding_a_text_too_short_for_a_chain_is_an_error_and_keeps_the_chain(
    user_path, tmp_path
):
    # A training with --add grows the saved chain. The bug: the saved
    # chain taken for the new text's, so that a text with no state is
    # saved as if added, its name among the chain's sources.
    train_chain("kept", ["the cat sat on the mat"], order=2)
    before = chain_path("kept").read_bytes()
    short = tmp_path / "short.txt"
    short.write_text("one\n", encoding="utf-8")
    with pytest.raises(MarkovError, match="order 2 needs a text of at least 2 words"):
        train_chain("kept", [short], add=True)
    assert chain_path("kept").read_bytes() == before


def test_merging_a_chain_without_the_copy_guard_says_it_drops_the_index(
    llm_cli, halves
):
    first, second = halves
    train(llm_cli, "guarded", str(first))
    assert (
        llm_cli("markov", "train", "bare", str(second), "--no-copy-guard").exit_code
        == 0
    )
    result = llm_cli("markov", "merge", "mixed", "guarded", "bare")
    assert result.exit_code == 0, result.output
    assert "the merged chain has none: max_copy on it is an error" in result.output
    prompt = llm_cli("prompt", "-m", "markov/mixed", "-o", "max_copy", "5", "x")
    assert prompt.exit_code == 1
    assert "copy" in prompt.output
    # Both without it: nothing was dropped, nothing to say.
    assert (
        llm_cli("markov", "train", "bare2", str(first), "--no-copy-guard").exit_code
        == 0
    )
    quiet = llm_cli("markov", "merge", "plain", "bare", "bare2")
    assert "Note" not in quiet.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["merge", "m", "a", "two"], "cannot merge 'two' (order 2) with 'a' (order 1)"),
        (["merge", "m", "a", "lines"], "(tokens lines) with 'a' (tokens words)"),
        (["merge", "m", "a", "missing"], "there is no saved chain called 'missing'"),
        (["merge", "m", "a", "nowhere.markov"], "cannot merge nowhere.markov"),
        (["merge", "m", "a", "--weight", "a=1.5"], "to 4,294,967,295, not 'a=1.5'"),
        (["merge", "m", "a", "--weight", "a=0"], "from 1 to 4,294,967,295, not 0"),
        # The bugs: 2**32 raised OverflowError, "²" ValueError, and "١٢"
        # (Arabic-Indic digits) was taken as 12.
        (["merge", "m", "a", "--weight", "a=4294967296"], "not 4294967296"),
        (["merge", "m", "a", "--weight", "a=²"], "K a whole number from 1 to"),
        (["merge", "m", "a", "--weight", "a=١٢"], "not 'a=١٢'"),
        (["merge", "m", "a", "--weight", "b=2"], "'b', which is not one of"),
        (["merge", "a", "a"], "already exists"),
        (["train", "missing", "{file}", "--add"], "no saved chain called 'missing'"),
        (["train", "a", "{file}", "--add", "--order", "3"], "order 1, which adding"),
        (["train", "a", "{file}", "--add", "--no-copy-guard"], "copy guard on"),
        (["train", "a", "{file}", "--add", "--force"], "do not go together"),
    ],
)
def test_chains_that_cannot_merge_are_one_line_errors(
    llm_cli, tmp_path, arguments, message
):
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat. The dog sat.\n", encoding="utf-8")
    train(llm_cli, "a", str(text))
    train(llm_cli, "two", str(text), "--order", "2")
    assert (
        llm_cli("markov", "train", "lines", str(text), "--tokens", "lines").exit_code
        == 0
    )
    arguments = [argument.format(file=text) for argument in arguments]
    result = llm_cli("markov", *arguments)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ")
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_merging_a_corrupted_file_is_one_error_naming_it(llm_cli, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat\n", encoding="utf-8")
    train(llm_cli, "a", str(text))
    corrupted = tmp_path / "shared.markov"
    data = bytearray((llm.user_dir() / "markov" / "a.markov").read_bytes())
    data[len(data) // 2] ^= 0x40
    corrupted.write_bytes(bytes(data))
    result = llm_cli("markov", "merge", "m", "a", str(corrupted))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot merge {corrupted}: ")
    assert "checksum" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (llm.user_dir() / "markov" / "m.markov").exists()


@pytest.mark.parametrize("tokens", ["words", "lines", "unicode", "chars"])
@pytest.mark.parametrize("order", [1, 3])
@pytest.mark.parametrize("copy_guard", [False, True])
def test_a_text_trained_in_pieces_is_the_whole_texts_chain(
    user_path, tmp_path, monkeypatch, sherlock, tokens, order, copy_guard
):
    # The bugs: a transition across a piece's cut lost or counted twice,
    # tokens carried wrongly (in modes that keep breaks), a cut taken for a
    # sentence start or end, a short piece built before it had `order`
    # tokens; with the copy guard, a separator between the pieces' texts in
    # the index, so that a run copied across a cut goes unseen.
    text = sherlock[:60_000]
    path = tmp_path / "book.txt"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(llm_markov_rs.train, "PIECE_BYTES", 3_000)
    train_chain("pieces", [path], order=order, tokens=tokens, copy_guard=copy_guard)
    whole = Chain(text, order, tokens=tokens, copy_index=copy_guard)
    assert saved_bytes("pieces") == whole.to_bytes()


def test_a_growing_chain_whose_step_was_stopped_says_it_lost_the_chain(sherlock):
    # A step of a GrowingChain takes the chain it grows, to change it in
    # place. The bug: a step stopped halfway (here by a progress callback
    # that raises, as Ctrl-C would) leaves it looking empty, so that a later
    # `finish` gives None, or `add` starts a new chain, and a training
    # saves part of its text.
    text = sherlock[:20_000]
    cut = text.index("\n", len(text) // 2) + 1
    carried = text[:cut].split()[-2:]
    pieces = [
        Chain.build_piece(text[:cut], 2, ends_document=False, copy_index=True),
        Chain.build_piece(text[cut:], 2, carried, copy_index=True),
    ]
    growing = GrowingChain()
    for piece in pieces:
        growing.add(piece)

    def stop(stage: str, done: int, total: int) -> None:
        raise ValueError(f"stopped while {stage}")

    with pytest.raises(ValueError, match="stopped while indexing"):
        growing.finish(stop)
    for step in (growing.finish, lambda: growing.add(pieces[0])):
        with pytest.raises(RuntimeError, match="lost when a step of it was stopped"):
            step()


def test_a_text_that_cannot_be_kept_in_a_file_is_a_markov_error(
    sherlock, tmp_path, monkeypatch
):
    # A long training's copy index text is kept in a temporary file in
    # the spill folder (the test build keeps any text over 10 tokens
    # there). The bug: a folder that cannot hold it raises something other
    # than the package's error (a panic that asks for a bug report), or a
    # message that does not say where, nor what to do.
    monkeypatch.setenv("LLM_MARKOV_RS_TEST_SPILL_ABOVE", "10")
    missing = tmp_path / "gone"
    growing = GrowingChain(missing)
    growing.add(Chain.build_piece(sherlock[:2_000], 1, copy_index=True))
    with pytest.raises(MarkovError) as raised:
        growing.add(Chain.build_piece(sherlock[2_000:4_000], 1, copy_index=True))
    message = str(raised.value)
    assert str(missing) in message
    assert "train without the copy guard" in message


@pytest.mark.parametrize("order", [1, 2])
def test_a_prompts_guarded_chain_saves_the_trained_chains_bytes(
    user_path, tmp_path, monkeypatch, sherlock, order
):
    # A prompt's chain sorts its copy index only where its walks read it;
    # saving it must sort the rest. The bug: the file takes the suffixes as
    # the walks left them, which is no suffix array.
    text = sherlock[:60_000]
    path = tmp_path / "book.txt"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(llm_markov_rs.train, "PIECE_BYTES", 20_000)
    train_chain("guarded", [path], order=order)
    prompted = Chain(text, order, copy_index=True)
    trained = Chain.load(chain_path("guarded"))[0]
    for seed in range(5):
        assert list(prompted.walk(200, seed, sentences=5, max_copy=order + 2)) == list(
            trained.walk(200, seed, sentences=5, max_copy=order + 2)
        )
    assert prompted.to_bytes() == saved_bytes("guarded")


def test_training_in_pieces_reports_the_bytes_read_and_built(
    user_path, tmp_path, monkeypatch, sherlock
):
    # The bug: a progress bar that stops, or runs past its end, when the
    # text is read a piece at a time.
    path = tmp_path / "book.txt"
    path.write_text(sherlock, encoding="utf-8")
    monkeypatch.setattr(llm_markov_rs.train, "PIECE_BYTES", 10_000)
    seen: list[tuple[str, int, int]] = []
    train_chain(
        "pieces",
        [path],
        copy_guard=False,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    size = path.stat().st_size
    training = [report for report in seen if report[0] == "training"]
    done = [done for _, done, _ in training]
    assert done == sorted(done)
    assert len(done) > size // 10_000 // 2
    assert training[-1] == ("training", size, size)
    # Then the save, in bytes written of the file's size, known before it
    # is written: the bug, a bar with no end, or one that stops short.
    saved = (user_path / "markov" / "pieces.markov").stat().st_size
    after = seen[len(training) :]
    assert {stage for stage, _, _ in after} == {"planning", "saving"}
    assert all(total == saved for stage, _, total in after if stage == "saving")
    assert seen[-1] == ("saving", saved, saved)


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_pieces_shorter_than_a_state_are_held_for_the_next(
    user_path, tmp_path, monkeypatch, encoding
):
    # Pieces of a few bytes hold fewer than `order` words: each is joined
    # to the next before it is built. The bugs: a short piece built alone
    # (its words carried wrongly), or joined out of order. UTF-8 files are
    # read as bytes, others decoded: both ways.
    words = [f"w{index % 7}{'.' if index % 5 == 0 else ''}" for index in range(300)]
    text = "\n".join(words) + "\n"
    path = tmp_path / "short-lines.txt"
    path.write_text(text, encoding=encoding)
    monkeypatch.setattr(llm_markov_rs.train, "PIECE_BYTES", 10)
    train_chain("short", [path], order=5, copy_guard=False, encoding=encoding)
    assert saved_bytes("short") == Chain(text, 5).to_bytes()


def test_a_line_longer_than_a_piece_is_read_on(user_path, tmp_path, monkeypatch):
    text = "one two three " * 500 + "\nfour five six\n"
    path = tmp_path / "long.txt"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(llm_markov_rs.train, "PIECE_BYTES", 100)
    train_chain("long", [path], order=2, copy_guard=False)
    assert saved_bytes("long") == Chain(text, 2).to_bytes()


def test_the_python_api_merges_and_adds(user_path):
    train_chain("x", ["the cat sat on the mat"], copy_guard=False)
    train_chain("y", ["the dog sat on the log"], copy_guard=False)
    info = merge_chains("xy", ["x", "y"], weights={"y": 3})
    assert info.transition_count == 5 + 3 * 5
    assert info.token_count == 6 + 3 * 6
    train_chain("x", ["a bird sat on the fence"], add=True)
    assert llm.get_model("markov/x").prompt("sat on", length=3).text()
    with pytest.raises(MarkovError, match="at least one chain"):
        merge_chains("none", [])
    with pytest.raises(MarkovError, match="not a single str"):
        merge_chains("one", "x")
    # The bug: a weight over 32 bits raised OverflowError from the native
    # merge instead of saying the range.
    with pytest.raises(MarkovError, match="from 1 to 4,294,967,295, not 4294967296"):
        merge_chains("big", ["x", "y"], weights={"y": 2**32})


documents = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["a", "b", "c.", "D", "e!"]), min_size=1, max_size=30),
        st.integers(1, 3),
    ),
    min_size=1,
    max_size=5,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=documents, order=st.integers(1, 3))
def test_merging_documents_chains_is_training_on_the_documents(documents, order):
    # The bugs: a transition across two documents, a weight not applied, a
    # merge whose ids depend on the order of its sources.
    weighted = [
        (" ".join(words), weight) for words, weight in documents if len(words) >= order
    ]
    assume(weighted)
    merged = Chain.merge([(Chain(text, order), weight) for text, weight in weighted])
    # Training on each document as often as its weight says.
    repeated = [text for text, weight in weighted for _ in range(weight)]
    train_chain("trained", repeated, order=order, copy_guard=False, replace=True)
    assert saved_bytes("trained") == merged.to_bytes()
    backwards = Chain.merge([(Chain(t, order), w) for t, w in reversed(weighted)])
    assert backwards.to_bytes() == merged.to_bytes()
    # Against the windows of each document, counted its weight's times.
    expected: dict[str, Counter[str]] = defaultdict(Counter)
    for text, weight in weighted:
        for state, followers in reference_table(text.split(), order).items():
            for word, count in followers.items():
                expected[" ".join(state)][word] += count * weight
    assert merged.transitions() == {state: dict(f) for state, f in expected.items()}


def test_training_many_documents_is_merging_their_chains(user_path):
    # The bugs: the chains of a training's documents, which wait to be
    # merged as a tree, merged out of their order or one of them left out.
    # Documents of very different lengths make both small merges and
    # large ones.
    rng = random.Random(19)
    words = ["a", "b", "c.", "D", "e!", "f", "g?"]
    for order in (1, 2):
        texts = [
            " ".join(rng.choices(words, k=rng.choice((2, 3, 8, 40, 300))))
            for _ in range(60)
        ]
        merged = Chain.merge(
            [(Chain(text, order, copy_index=True), 1) for text in texts]
        )
        train_chain("many", texts, order=order, replace=True)
        assert saved_bytes("many") == merged.to_bytes()


def seen_by(seen: list[tuple[str, int, int]]):
    """A progress callback that keeps what it is told in ``seen``."""
    return lambda stage, done, total: seen.append((stage, done, total))


def test_merging_guarded_chains_names_the_sort_and_the_save(user_path):
    # The bug: after the states were merged, the bar sat at "merging 100%"
    # while the texts' suffix array was sorted again and the file saved.
    # Without an index on every source there is no sort, and no such stage.
    # Before the merge, each source's index is checked whole (seconds for
    # a large chain, with no bar before "checking"): once for each source
    # that has one, each to its end, two units a token of its index.
    for name, text in (("x", "a b c a b d. "), ("y", "c a b e. "), ("p", "f g f h. ")):
        train_chain(name, [text * 200], copy_guard=name != "p")
    for sources, stages, checked in (
        (
            ["x", "y"],
            ["checking", "merging", "indexing", "planning", "saving"],
            ["x", "y"],
        ),
        (["x", "p"], ["checking", "merging", "planning", "saving"], ["x"]),
        (["p", "p"], ["merging", "planning", "saving"], []),
    ):
        seen: list[tuple[str, int, int]] = []
        merged = merge_chains("merged", sources, replace=True, progress=seen_by(seen))
        assert list(dict.fromkeys(stage for stage, _, _ in seen)) == stages
        assert seen[-1] == ("saving", merged.file_size, merged.file_size)
        checks_ended = [report for report in seen if report[0] == "checking"]
        tokens = [read_info(name).token_count for name in checked]
        # Each source's check ends on its own total, and no sooner.
        ends = [(done, total) for _, done, total in checks_ended if done == total]
        assert [end for end, _ in groupby(ends)] == [
            (2 * count, 2 * count) for count in tokens
        ]
