"""The markov model through llm's Python API, sync and async."""

from __future__ import annotations

import asyncio
import importlib.metadata
import threading
import time

import llm
import pytest
from llm_markov_rs import MarkovError

from helpers import (
    PROMPT,
    assert_walk,
    generate,
    printed_by_python,
    reference_table,
)


def test_prompt_text_is_a_walk(sherlock):
    output = generate(sherlock, length=50)
    assert len(output.split(" ")) == 50
    assert_walk(output.split(), sherlock)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_every_step_follows_the_chain(sherlock, order):
    for seed in range(5):
        output = generate(sherlock, length=400, order=order, seed=seed)
        assert_walk(output.split(), sherlock, order=order)


def test_a_follower_seen_more_often_is_chosen_more_often():
    text = "x a x a x a x b"
    after_x = []
    for seed in range(2000):
        words = generate(text, length=2, seed=seed).split()
        if words[0] == "x":
            after_x.append(words[1])
    # a follows x three times as often as b does: expect 3/4 of about 1000
    # draws, whose standard deviation is under 0.014.
    assert 0.70 < after_x.count("a") / len(after_x) < 0.80


def test_a_seed_gives_the_same_words_every_way(sherlock):
    from llm_markov_rs._markov import Chain

    model = llm.get_model("markov")
    streamed = "".join(model.prompt(sherlock, length=300, seed=99, order=2))
    # The same seed through the native walk, word by word.
    assert streamed == "".join(Chain(sherlock, 2).walk(300, 99))

    async def in_async() -> str:
        response = llm.get_async_model("markov").prompt(
            sherlock, length=300, seed=99, order=2
        )
        return await response.text()

    assert asyncio.run(in_async()) == streamed
    assert generate(sherlock, length=300, seed=100, order=2) != streamed


def test_streaming_with_a_delay_yields_word_by_word():
    from llm_markov_rs._markov import Chain

    response = llm.get_model("markov").prompt(PROMPT, length=5, delay=0.01, seed=1)
    chunks = list(response)
    # One word a chunk, each after a space but the first.
    assert chunks == list(Chain(PROMPT).walk(5, 1))
    assert [chunk.startswith(" ") for chunk in chunks] == [False] + [True] * 4


def test_without_a_delay_long_outputs_come_in_large_chunks():
    response = llm.get_model("markov").prompt(PROMPT, length=100_000, seed=1)
    chunks = list(response)
    assert len(chunks) < 20
    assert len(chunks[0].split()) < 100  # the first words show at once
    assert len("".join(chunks).split(" ")) == 100_000


def test_reading_the_start_of_a_huge_length_is_lazy():
    response = llm.get_model("markov").prompt(PROMPT, length=10**12, seed=5)
    words: list[str] = []
    for chunk in response:
        words.extend(chunk.split())
        if len(words) >= 1000:
            break
    assert_walk(words, PROMPT)


def test_usage_counts_words(sherlock):
    response = llm.get_model("markov").prompt(sherlock, length=33)
    response.text()
    usage = response.usage()
    assert usage.input == len(sherlock.split())
    assert usage.output == 33


def test_response_json_records_seed_and_order():
    response = llm.get_model("markov").prompt(PROMPT, order=2)
    first = response.text()
    logged = response.response_json
    assert logged["order"] == 2
    assert 0 <= logged["seed"] < 2**64
    replay = generate(PROMPT, order=2, seed=logged["seed"])
    assert replay == first


def test_surrogates_and_nul_survive():
    text = "a\udcff b\x00c a\ud800 b\x00c \U0001f600 a\udcff"
    output = generate(text, length=200, seed=4)
    assert_walk(output.split(), text)
    assert "\udcff" in output or "\ud800" in output


def test_unicode_whitespace_splits_like_python():
    text = "un\u00a0deux\u3000trois\u001cquatre\u200bcinq\u2028six"
    output = generate(text, length=300, seed=8)
    assert set(output.split(" ")) <= set(text.split())
    assert "quatre\u200bcinq" in output.split(" ")


def test_many_megabytes_of_text(sherlock):
    from llm_markov_rs._markov import Chain

    text = sherlock * 40  # about 5 MB: built on several threads
    output = generate(text, length=500, seed=12)
    assert_walk(output.split(), sherlock)
    # The parallel build's table is the reference table, counts and order
    # of followers included (a text under 4 MiB is built on one thread).
    words = text.split()
    expected = {
        " ".join(state): followers
        for state, followers in reference_table(words, 2).items()
    }
    assert Chain(text, 2).transitions() == expected


def test_empty_text_raises_a_clear_error():
    with pytest.raises(ValueError, match="needs some words to learn from"):
        generate(" \n ")


def test_bad_options_raise_validation_errors():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="length must be >= 2"):
        llm.get_model("markov").prompt(PROMPT, length=1)
    with pytest.raises(ValidationError, match="delay must be between 0 and 10"):
        llm.get_model("markov").prompt(PROMPT, delay=float("nan"))


def test_conversation_learns_from_every_user_turn():
    conversation = llm.get_model("markov").conversation()
    first = conversation.prompt("alpha beta alpha", length=200).text()
    assert set(first.split()) <= {"alpha", "beta"}
    second = conversation.prompt("gamma delta gamma", length=500)
    output = second.text()
    learned = second.response_json["transitions"]
    # The turns are joined by a newline, so "alpha" leads on to "gamma"; the
    # model's reply in between is not training text.
    assert learned == {
        "alpha": {"beta": 1, "gamma": 1},
        "beta": {"alpha": 1},
        "gamma": {"delta": 1},
        "delta": {"gamma": 1},
    }
    assert_walk(output.split(), "alpha beta alpha\ngamma delta gamma")
    assert second.usage().input == 6


def test_async_conversation_learns_from_every_user_turn():
    async def chat() -> tuple[str, dict]:
        conversation = llm.get_async_model("markov").conversation()
        await conversation.prompt("alpha beta alpha").text()
        response = conversation.prompt("gamma delta gamma", length=500)
        return await response.text(), response.response_json

    output, logged = asyncio.run(chat())
    assert set(logged["transitions"]) == {"alpha", "beta", "gamma", "delta"}
    assert_walk(output.split(), "alpha beta alpha\ngamma delta gamma")


def test_async_delays_overlap():
    model = llm.get_async_model("markov")

    async def three_at_once() -> list[str]:
        responses = [
            model.prompt(PROMPT, length=5, delay=0.2, seed=seed) for seed in range(3)
        ]
        return await asyncio.gather(*(response.text() for response in responses))

    started = time.monotonic()
    outputs = asyncio.run(three_at_once())
    elapsed = time.monotonic() - started
    assert [len(output.split()) for output in outputs] == [5, 5, 5]
    # Each takes 0.8 s of delay; in sequence they would take 2.4 s.
    assert 0.8 <= elapsed < 2.0


def test_async_build_leaves_the_event_loop_free(sherlock):
    text = sherlock * 150  # about 18 MB: a build that takes a while
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    async def main() -> str:
        ticker = asyncio.create_task(tick())
        response = llm.get_async_model("markov").prompt(text, length=10)
        output = await response.text()
        ticker.cancel()
        return output

    output = asyncio.run(main())
    assert len(output.split()) == 10
    assert ticks > 5


def test_threads_share_a_model_and_match_a_serial_run(sherlock):
    model = llm.get_model("markov")
    seeds = range(8)
    serial = {
        seed: model.prompt(sherlock, length=200, seed=seed).text() for seed in seeds
    }
    parallel: dict[int, str] = {}

    def worker(seed: int) -> None:
        parallel[seed] = model.prompt(sherlock, length=200, seed=seed).text()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in seeds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert parallel == serial


def test_other_threads_run_while_a_chain_is_built(sherlock):
    from llm_markov_rs._markov import Chain

    text = sherlock * 150
    counter = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal counter
        while not stop.is_set():
            counter += 1

    thread = threading.Thread(target=count)
    thread.start()
    time.sleep(0.05)
    before = counter
    Chain(text)
    during = counter - before
    stop.set()
    thread.join()
    # With the GIL held for the whole build the counter would barely move.
    assert during > 10_000


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        (" \n ", {}, "needs some words to learn from"),
        ("two words", {"order": 3}, "order 3 needs a text of at least 3 words"),
    ],
)
def test_errors_a_user_can_fix_are_the_public_markov_error(text, options, message):
    # Callers catch llm's own error type, or ValueError, or this plugin's:
    # each catches these errors, whichever layer (Python or Rust) found them.
    def sync_text() -> str:
        return llm.get_model("markov").prompt(text, **options).text()

    def async_text() -> str:
        response = llm.get_async_model("markov").prompt(text, **options)
        return asyncio.run(response.text())

    for call in (sync_text, async_text):
        with pytest.raises(llm.ModelError, match=message) as raised:
            call()
        assert isinstance(raised.value, MarkovError)
        assert isinstance(raised.value, ValueError)


def test_llms_start_builds_neither_the_commands_nor_the_options():
    # llm adds every plugin's commands on every start, `llm --version`
    # included. The bugs: the command group importing the options module,
    # whose pydantic models took 5.5 ms of every llm command, for one help
    # text; then building every `llm markov` command, 3.6 ms, for a group
    # that most starts never run.
    code = (
        "import sys, llm.cli; "
        "print('llm_markov_rs.command_group' in sys.modules, "
        "'llm_markov_rs.commands' in sys.modules, "
        "'llm_markov_rs.options' in sys.modules)"
    )
    assert printed_by_python(code).split() == ["True", "False", "False"]


def test_the_markov_group_lists_and_runs_each_of_its_commands(llm_cli):
    # The group names its commands without importing them. The bug it
    # would catch: a command added to the commands module but not to the
    # group's names, which `llm markov` would neither list nor run.
    from llm_markov_rs.commands import COMMANDS

    result = llm_cli("markov", "--help")
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:")[1].split()
    for name, command in COMMANDS.items():
        assert name in listed
        assert command.help is not None
        assert llm_cli("markov", name, "--help").exit_code == 0
    assert llm_cli("markov", "path").output.strip().endswith("markov")
    unknown = llm_cli("markov", "nonsense")
    assert unknown.exit_code == 2
    assert "No such command 'nonsense'" in unknown.output


def test_looking_a_model_up_builds_no_options_model(tmp_path, monkeypatch):
    # llm registers every plugin's models whenever it looks a model up, for
    # a prompt to any model. The bug: the models' module importing the
    # options' pydantic models and what runs a response, 4 of the 6 ms that
    # registering took. They are imported when llm asks for the options.
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path))
    # Registering reads no chain file: its name is enough.
    (tmp_path / "markov").mkdir()
    (tmp_path / "markov" / "saved.markov").touch()
    code = (
        "import sys, llm; "
        "models = llm.get_model('markov'), llm.get_model('markov/saved'); "
        "print('llm_markov_rs.options' in sys.modules, "
        "'llm_markov_rs.run' in sys.modules); "
        "from llm_markov_rs import options; "
        "print(models[0].Options is options.MarkovOptions, "
        "type(models[1]).Options is options.SavedChainOptions)"
    )
    assert printed_by_python(code).split() == ["False", "False", "True", "True"]


def test_reading_the_version_does_not_load_the_extension():
    code = (
        "import sys, llm_markov_rs; "
        "print(llm_markov_rs.__version__, 'llm_markov_rs._markov' in sys.modules)"
    )
    version, loaded = printed_by_python(code).split()
    assert version == importlib.metadata.version("llm-markov-rs")
    assert loaded == "False"


def test_a_panic_in_a_build_worker_is_a_runtime_error_asking_for_a_report(llm_cli):
    import llm_markov_rs._markov as native

    # Built into the development extension only (scripts/env.sh): the
    # interner panics when it meets this word, as a bug would.
    panic_word = getattr(native, "_FAULT_INJECTION_PANIC_WORD", None)
    assert panic_word is not None, (
        "this test needs the extension built with "
        "`maturin develop --release --features python,fault-injection`"
    )
    # Over 4 MiB, so that the text is split on worker threads.
    text = "filler words " * 400_000 + panic_word.decode() + " the end"
    with pytest.raises(RuntimeError, match="please report it"):
        native.Chain(text)
    result = llm_cli("-m", "markov", input=text)
    assert result.exit_code == 1
    assert result.output.startswith("Error: internal error in llm-markov-rs")
    assert "cancelled" not in result.output


def test_a_panic_in_a_walk_is_a_runtime_error_asking_for_a_report(llm_cli):
    import llm_markov_rs._markov as native

    # Bug: a panic in a step of a walk let out as pyo3's PanicException
    # (a BaseException, which llm does not catch: a traceback), or a walk
    # that writes on after it. The development extension's walks panic
    # when they write this word, as a bug would.
    panic_word = getattr(native, "_FAULT_INJECTION_WALK_PANIC_WORD", None)
    assert panic_word is not None, (
        "this test needs the extension built with "
        "`maturin develop --release --features python,fault-injection`"
    )
    # The word after every letter, and every letter after it: a walk that
    # went on past the panic would write a letter.
    word = panic_word.decode()
    text = " ".join(f"{word} {letter}" for letter in "abcdefgh")
    for write in (lambda walk: walk.next_text(5), next):
        # Going on from "a", the first word is the one that panics.
        walk = native.Chain(text).walk(5, 1, "a")
        with pytest.raises(RuntimeError, match="please report it"):
            write(walk)
        # The next word would be a letter.
        with pytest.raises(RuntimeError, match="please report it"):
            next(walk)
    result = llm_cli("-m", "markov", text)
    assert result.exit_code == 1
    assert result.output.startswith("Error: internal error in llm-markov-rs")
