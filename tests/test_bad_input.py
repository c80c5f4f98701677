"""Odd and hostile input, through the CLI and the Python API: each case works
or is refused with a clear message, never a traceback, a hang or a memory
blow-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import llm
import pytest
from llm_markov_rs import MarkovError
from pydantic import ValidationError

from helpers import PROMPT, assert_walk, generate


def run_llm(
    *args: str | bytes, input: bytes | None = None
) -> subprocess.CompletedProcess:
    """The real ``llm`` command in a child process, as a shell would run it.

    Its standard streams decode and encode undecodable bytes as lone
    surrogates, as Python does in the C and POSIX locales and in UTF-8 mode.
    (In other locales Python refuses such stdin with UnicodeDecodeError
    inside llm, before any model runs.)
    """
    return subprocess.run(
        [sys.executable, "-m", "llm", *args],
        input=input,
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:surrogateescape"},
    )


# -- text ---------------------------------------------------------------------


def test_one_word_repeated_millions_of_times(llm_cli):
    text = "again " * 3_000_000
    output = generate(text, length=1000, seed=3)
    assert output == " ".join(["again"] * 1000)
    result = llm_cli("-m", "markov", "-o", "length", "7", input=text)
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["again"] * 7


def test_a_single_ten_megabyte_word(llm_cli):
    word = "x" * 10_000_000
    assert generate(word, length=2) == f"{word} {word}"
    # --no-log: llm's logging spends about two seconds a megabyte of output
    # condensing it against the messages (see the README); the plugin's own
    # part takes well under a second.
    result = llm_cli("--no-log", "-m", "markov", "-o", "length", "2", input=word)
    assert result.exit_code == 0
    assert result.output == f"{word} {word}\n"


@pytest.mark.parametrize(
    "text",
    [
        "émoji 😀 and 👩‍👩‍👧 families 🏳️‍🌈 too 😀 and",
        "combining e\u0301 marks a\u0308\u0301 stack e\u0301 marks",
        "שלום עולם مرحبا بالعالم שלום مرحبا",
        "mixed \u202eoverride\u202c and \u200fmarks\u200e mixed and",
    ],
    ids=["emoji", "combining", "right-to-left", "bidi-controls"],
)
def test_any_script_round_trips_word_for_word(llm_cli, text):
    result = llm_cli("-m", "markov", "-o", "length", "40", text)
    assert result.exit_code == 0, result.output
    assert_walk(result.output.split(), text)
    assert_walk(generate(text, length=40).split(" "), text)


def test_nul_characters_are_ordinary_characters(llm_cli):
    text = "a\x00b c\x00 \x00 a\x00b c\x00"
    result = llm_cli("-m", "markov", "-o", "length", "30", text)
    assert result.exit_code == 0
    assert_walk(result.output.split(), text)
    assert "a\x00b" in result.output


def test_invalid_utf8_on_stdin_comes_back_byte_for_byte(user_path):
    # Python reads undecodable bytes from stdin as lone surrogates; the
    # chain keeps them, and printing them restores the original bytes.
    # --no-log: llm itself cannot store such text in logs.db (see README).
    text = b"caf\xe9 \xff\xfe abc \xc3\xa9t\xc3\xa9 caf\xe9 abc"
    result = run_llm("--no-log", "-m", "markov", "-o", "length", "30", input=text)
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    words = result.stdout.split()
    assert len(words) == 30
    assert set(words) <= set(text.split())


@pytest.mark.skipif(os.name != "posix", reason="Windows arguments are UTF-16")
def test_invalid_utf8_in_an_argument_comes_back_byte_for_byte(user_path):
    argument = b"na\xefve \xff word na\xefve word"
    result = run_llm("--no-log", "-m", "markov", "-o", "length", "20", argument)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) <= set(argument.split())


def test_lone_surrogates_are_logged_as_json_escapes():
    response = llm.get_model("markov").prompt("a\udcff b a\udcff c", length=5)
    response.text()
    logged = json.dumps(response.response_json)
    assert "\\udcff" in logged
    assert json.loads(logged)["transitions"]["a\udcff"] == {"b": 1, "c": 1}


# -- order and options ----------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n\t\u3000\u00a0\x1c"])
def test_no_words_is_refused_through_the_api(text):
    with pytest.raises(ValueError, match="needs some words to learn from"):
        generate(text)


def test_order_above_the_token_count_is_refused_through_the_api():
    with pytest.raises(ValueError, match="order 5 needs a text of at least 5 words"):
        generate("only three words", order=5)


@pytest.mark.parametrize(
    "options",
    [
        {"length": 2},
        {"order": 100},
        {"delay": 0.0},
        {"seed": 0},
        {"seed": 2**64 - 1},
    ],
    ids=lambda options: "{}={}".format(*next(iter(options.items()))),
)
def test_options_at_their_bounds_work(options):
    text = " ".join(f"w{i % 7}" for i in range(150))
    output = generate(text, **{"length": 120, **options})
    assert_walk(output.split(" "), text, order=options.get("order", 1))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"length": 1}, "length must be >= 2"),
        ({"length": 2**63}, "length must be <="),
        ({"length": "ten"}, "valid integer"),
        ({"length": 2.5}, "valid integer"),
        ({"length": [20]}, "valid integer"),
        ({"order": 0}, "order must be between"),
        ({"order": 101}, "order must be between"),
        ({"order": float("inf")}, "finite number"),
        ({"delay": -1e-9}, "delay must be between"),
        ({"delay": 10.000001}, "delay must be between"),
        ({"delay": float("nan")}, "delay must be between"),
        ({"delay": float("inf")}, "delay must be between"),
        ({"delay": float("-inf")}, "delay must be between"),
        ({"delay": "later"}, "valid number"),
        ({"delay": [1]}, "valid number"),
        ({"seed": -1}, "seed must be at least 0"),
        ({"seed": 2**64}, r"seed must be at most 2\*\*64-1"),
        ({"seed": 1.5}, "valid integer"),
        ({"seed": float("nan")}, "finite number"),
    ],
    ids=lambda value: repr(value) if isinstance(value, dict) else "",
)
def test_bad_options_are_refused_through_the_api(options, message):
    with pytest.raises(ValidationError, match=message):
        llm.get_model("markov").prompt(PROMPT, **options)


# -- memory and laziness -------------------------------------------------------

MEASURE_PEAK = textwrap.dedent(
    """
    import resource, sys
    import llm
    text = {text}
    model = llm.get_model("markov")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    output = model.prompt(text, length={length}).text()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # bytes or KiB
    print((after - before) * scale, len(text) + len(output))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="the resource module is POSIX")
@pytest.mark.parametrize(
    ("text", "length"),
    [('"x" * 10_000_000', 2), ('"again " * 3_000_000', 1000)],
    ids=["ten-megabyte-word", "repeated-word"],
)
def test_memory_grows_with_the_input_not_beyond(text, length):
    script = MEASURE_PEAK.format(text=text, length=length)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    extra_bytes, characters = map(int, result.stdout.split())
    # Text in and out, the chain's copy of the words and its id arrays (four
    # bytes a word) stay within a small multiple of the characters handled.
    assert extra_bytes < 8 * characters, (extra_bytes, characters)


def test_a_huge_length_streams_until_the_reader_stops(user_path):
    # The reader takes about a thousand words and closes the pipe: llm must
    # stop there, without a traceback, instead of making all 10**12 words.
    command = ["llm", "-m", "markov", "-o", "length", str(10**12), PROMPT]
    process = subprocess.Popen(
        [sys.executable, "-m", *command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    with process:
        start = process.stdout.read(6000).split()
        process.stdout.close()
        process.stdout = None  # closed: communicate() only waits for stderr
        _, stderr = process.communicate(timeout=60)
    assert len(start) > 900
    assert_walk([word.decode() for word in start[:-1]], PROMPT)
    assert b"Traceback" not in stderr


# -- the native module's own error paths -----------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda native: native.Chain(b"bytes"),
            TypeError,
            "is not an instance of .str.",
        ),
        (lambda native: native.Chain(None), TypeError, "is not an instance of .str."),
        (
            lambda native: native.Chain("a b", -1),
            OverflowError,
            "negative int to unsigned",
        ),
        (
            lambda native: native.Chain("a b", 10**30),
            OverflowError,
            "int too big to convert",
        ),
        (lambda native: native.Chain("a b", 0), MarkovError, "order must be >= 1"),
        (
            lambda native: native.Chain("a b", native.MAX_ORDER + 1),
            MarkovError,
            "order must be <= 100, got 101",
        ),
        (lambda native: native.Chain(" \n"), MarkovError, "needs some words"),
        (lambda native: native.Chain("a b", 3), MarkovError, "order 3 needs a text"),
        (
            lambda native: native.Chain("a b").walk(-1, 0),
            OverflowError,
            "negative int to unsigned",
        ),
        (
            lambda native: native.Chain("a b").walk(5, 2**64),
            OverflowError,
            "int too big to convert",
        ),
        (
            lambda native: native.Chain("a b").walk(5, 1).next_text(-1),
            OverflowError,
            "negative int to unsigned",
        ),
        (
            lambda native: native.Chain("a b").walk(5, 1).next_text(2**21),
            ValueError,
            "max_words must be at most 1048576",
        ),
    ],
    ids=[
        "bytes",
        "none",
        "negative-order",
        "huge-order",
        "order-zero",
        "order-too-high",
        "no-words",
        "too-few-words",
        "negative-length",
        "seed-too-big",
        "negative-max-words",
        "too-many-max-words",
    ],
)
def test_native_errors_are_python_exceptions_that_say_what_is_wrong(
    call, error, message
):
    # A Rust panic would surface as pyo3's PanicException, which is neither
    # of these types nor carries these messages.
    import llm_markov_rs._markov as native

    with pytest.raises(error, match=message):
        call(native)


def test_sentences_out_of_range_say_the_bound_they_crossed(llm_cli):
    # The bugs: a count above 2**63-1 said "sentences must be at least 1";
    # then 0 said "between 1 and 9223372036854775807", a bound nobody reads.
    for value, message in (
        ("0", "sentences must be at least 1, not 0"),
        (str(2**63), f"sentences must be at most 2**63-1, not {2**63}"),
        ("-5", "sentences must be at least 1, not -5"),
    ):
        result = llm_cli("-m", "markov", "-o", "sentences", value, "a b. c d.")
        assert result.exit_code == 1
        assert message in result.output
        assert "9223372036854775807" not in result.output
