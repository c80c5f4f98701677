"""Properties that hold for any text and any options, searched for
counterexamples by hypothesis through llm's Python API and CLI."""

from __future__ import annotations

import sys

import llm
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from helpers import assert_walk, reference_table

#: Every character Python's str.split() splits at.
WHITESPACE = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]

#: Any character at all, lone surrogates and control characters included.
any_character = st.characters(codec=None, exclude_categories=())

# A few fixed words so that texts repeat themselves and chains branch, plus
# arbitrary strings (which may hold whitespace of their own).
words = st.one_of(
    st.sampled_from(["a", "b", "the", "é", "e\u0301", "😀", "\x00", "\udcff"]),
    st.text(any_character, min_size=1, max_size=5),
)
separators = st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=3)
texts = st.lists(st.tuples(words, separators), max_size=40).map(
    lambda pairs: "".join(word + space for word, space in pairs)
)
# Texts made of anything, whitespace or not, in any arrangement.
raw_texts = st.text(any_character, max_size=60)

settings.register_profile(
    "markov",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("markov")


@given(
    text=st.one_of(texts, raw_texts),
    order=st.integers(1, 4),
    length=st.integers(2, 120),
    seed=st.integers(0, 2**64 - 1),
)
def test_any_text_gives_a_walk_of_length_words_or_a_clear_error(
    text, order, length, seed
):
    model = llm.get_model("markov")
    words = text.split()
    if len(words) < order:
        expected = "needs some words" if not words else f"order {order} needs"
        with pytest.raises(ValueError, match=expected):
            model.prompt(text, order=order, length=length, seed=seed).text()
        return
    output = model.prompt(text, order=order, length=length, seed=seed).text()
    produced = output.split(" ")
    assert len(produced) == length
    assert_walk(produced, text, order)
    assert model.prompt(text, order=order, length=length, seed=seed).text() == output


@given(text=st.one_of(texts, raw_texts), order=st.integers(1, 4))
def test_the_chain_is_the_table_python_would_build(text, order):
    from llm_markov_rs._markov import Chain

    words = text.split()
    if len(words) < order:
        return
    chain = Chain(text, order)
    expected = {
        " ".join(state): followers
        for state, followers in reference_table(words, order).items()
    }
    assert chain.transitions() == expected
    assert chain.token_count == len(words)
    assert chain.vocabulary_size == len(set(words))
    assert chain.transition_count == len(words) - order


@given(text=texts, length=st.integers(2, 60), seed=st.integers(0, 2**64 - 1))
def test_streamed_chunks_add_up_to_the_text(text, length, seed):
    if not text.split():
        return
    from llm_markov_rs._markov import Chain

    model = llm.get_model("markov")
    chunks = list(model.prompt(text, length=length, seed=seed))
    # The walk's own pieces, one token at a time, each after its break: a
    # chunk that dropped or doubled a space between words would not match.
    pieces = list(Chain(text).walk(length, seed))
    assert "".join(chunks) == "".join(pieces)
    assert [piece.strip() for piece in pieces] == "".join(pieces).split()


# Option values as a user might type them: numbers at and around the bounds,
# numbers in other spellings, and arbitrary strings. Lengths and delays stay
# small when valid, so that no example runs for long.
def spelled(values: st.SearchStrategy) -> st.SearchStrategy[str]:
    return values.map(str)


option_values = {
    "length": st.one_of(
        spelled(st.integers(-3, 40)),
        st.sampled_from(["2.0", "1e1", " 7 ", "0x10", "", "nan", str(2**63)]),
        st.text(max_size=8).filter(lambda value: not value.strip().isdigit()),
    ),
    "order": st.one_of(
        spelled(st.integers(-3, 110)), spelled(st.floats()), st.text(max_size=8)
    ),
    "delay": st.one_of(
        st.sampled_from(["0", "-0.0", "nan", "inf", "-inf", "10.5", "-1", "1e9"]),
        st.text(max_size=8).filter(lambda value: not _is_costly_delay(value)),
    ),
    "seed": st.one_of(
        spelled(st.integers(-(2**65), 2**65)), spelled(st.floats()), st.text()
    ),
}


def _is_costly_delay(value: str) -> bool:
    try:
        return 0 < float(value) <= 10
    except ValueError:
        return False


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    options=st.dictionaries(
        st.sampled_from(sorted(option_values)),
        st.integers(0, 3),
        max_size=4,
    ).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {name: option_values[name] for name in chosen}
        )
    )
)
def test_any_option_values_work_or_get_a_one_line_error(llm_cli, options):
    text = " ".join(f"w{i % 5}" for i in range(120))
    arguments = [
        part for name, value in options.items() for part in ("-o", name, value)
    ]
    result = llm_cli("-m", "markov", *arguments, text)
    event(f"exit code {result.exit_code}")
    if result.exit_code == 0:
        order = round(float(options.get("order", 1)))
        assert_walk(result.output.split(), text, order)
    else:
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: "), result.output


@given(
    text=texts,
    calls=st.lists(st.integers(0, 9), max_size=25),
    seed=st.integers(0, 2**64 - 1),
)
def test_mixing_next_and_next_text_gives_the_text_of_one_call(text, calls, seed):
    from llm_markov_rs._markov import Chain

    if not text.split():
        return
    chain = Chain(text)
    length = 60
    walk = chain.walk(length, seed)
    pieced = ""
    for call in calls:
        # 0: one token from next(); otherwise a next_text() chunk. Each
        # carries the space before it.
        if call == 0:
            pieced += next(walk, "")
        else:
            pieced += walk.next_text(call)
    pieced += walk.next_text(length)
    assert pieced == chain.walk(length, seed).next_text(length)


@given(
    text=st.one_of(texts, raw_texts),
    order=st.integers(1, 4),
    seed=st.integers(0, 2**64 - 1),
    metadata=st.text(any_character),
)
def test_saving_then_loading_gives_an_identical_chain(text, order, seed, metadata):
    import tempfile

    from llm_markov_rs._markov import Chain

    if len(text.split()) < order:
        return
    chain = Chain(text, order)
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/chain.markov"
        chain.save(path, metadata)
        loaded, kept = Chain.load(path)
    assert kept == metadata
    assert loaded.transitions() == chain.transitions()
    for counted in (
        "token_count",
        "vocabulary_size",
        "state_count",
        "transition_count",
    ):
        assert getattr(loaded, counted) == getattr(chain, counted)
    assert loaded.walk(80, seed).next_text(80) == chain.walk(80, seed).next_text(80)
    prompt = " ".join(text.split()[:3])
    continued = loaded.walk(40, seed, prompt)
    original = chain.walk(40, seed, prompt)
    assert continued.continued_from == original.continued_from
    assert continued.next_text(40) == original.next_text(40)
