"""The markov model through llm's command line."""

from __future__ import annotations

import json
import time

import pytest

from helpers import PROMPT, assert_walk


def test_plugin_and_model_are_listed(llm_cli):
    plugins = json.loads(llm_cli("plugins").output)
    markov = next(plugin for plugin in plugins if plugin["name"] == "llm-markov-rs")
    assert sorted(markov["hooks"]) == ["register_commands", "register_models"]
    assert "markov" in llm_cli("models").output


def test_options_are_documented_with_their_defaults(llm_cli):
    output = llm_cli("models", "--options", "-m", "markov").output
    # llm wraps descriptions at 70 columns.
    described = " ".join(output.split())
    for option, words in [
        ("length", "Number of words to generate, at least 2 (default 20;"),
        ("delay", "Seconds to wait between words, from 0 to 10 (default 0)"),
        ("order", "previous words the next word depends on, from 1 to 100 (default 1)"),
        ("seed", "Random seed, from 0 to 2**64-1 (default: drawn at random"),
        ("start", "Words to continue from (default: none, a random start)"),
        ("sentences", "Write this many whole sentences (at least 1; default: unset"),
    ]:
        assert f"{option}:" in output
        assert words in described, option


def test_the_order_limit_is_the_native_modules(llm_cli, monkeypatch):
    # One definition of the limit, in Rust: the option's check and its
    # description both read it from there.
    import llm_markov_rs._markov as native

    monkeypatch.setattr(native, "MAX_ORDER", 7)
    described = " ".join(llm_cli("models", "--options", "-m", "markov").output.split())
    assert "from 1 to 7 (default 1)" in described
    result = llm_cli("-m", "markov", "-o", "order", "8", PROMPT)
    assert result.exit_code == 1
    assert "order must be between 1 and 7" in result.output
    assert llm_cli("-m", "markov", "-o", "order", "7", PROMPT).exit_code == 0


def test_prompt_generates_a_walk_of_the_prompt(llm_cli):
    result = llm_cli("-m", "markov", PROMPT)
    assert result.exit_code == 0, result.output
    assert result.output.endswith("\n")
    words = result.output.split(" ")
    assert len(words) == 20
    assert_walk(result.output.split(), PROMPT)


@pytest.mark.parametrize("length", [2, 7, 300])
def test_length_sets_the_number_of_words(llm_cli, length):
    result = llm_cli("-m", "markov", "-o", "length", str(length), PROMPT)
    assert result.exit_code == 0, result.output
    assert len(result.output.split()) == length


def test_stdin_and_fragments_are_training_text(llm_cli, sherlock, tmp_path):
    book = tmp_path / "book.txt"
    book.write_text(sherlock, encoding="utf-8")
    from_stdin = llm_cli("-m", "markov", "-o", "length", "200", input=sherlock)
    from_fragment = llm_cli("-m", "markov", "-o", "length", "200", "-f", str(book))
    for result in (from_stdin, from_fragment):
        assert result.exit_code == 0, result.output
        assert_walk(result.output.split(), sherlock)


def test_fragment_and_prompt_train_together(llm_cli, tmp_path):
    fragment = tmp_path / "fragment.txt"
    fragment.write_text("alpha beta", encoding="utf-8")
    result = llm_cli(
        "-m", "markov", "-o", "length", "400", "-f", str(fragment), "gamma"
    )
    assert result.exit_code == 0, result.output
    # prompt.prompt joins the fragment and the prompt with a newline.
    assert_walk(result.output.split(), "alpha beta\ngamma")
    assert set(result.output.split()) == {"alpha", "beta", "gamma"}


def test_one_word_prompt_repeats_it(llm_cli):
    result = llm_cli("-m", "markov", "-o", "length", "6", "echo")
    assert result.output.split() == ["echo"] * 6


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t \u3000\u00a0"])
def test_empty_prompt_is_refused(llm_cli, prompt):
    result = llm_cli("-m", "markov", prompt)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "needs some words to learn from" in result.output


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("length", "1", "length must be >= 2"),
        ("length", "-5", "length must be >= 2"),
        ("length", "ten", "valid integer"),
        ("length", "2.5", "valid integer"),
        ("delay", "-0.1", "delay must be between 0 and 10"),
        ("delay", "10.01", "delay must be between 0 and 10"),
        ("delay", "nan", "delay must be between 0 and 10"),
        ("delay", "inf", "delay must be between 0 and 10"),
        ("delay", "-inf", "delay must be between 0 and 10"),
        ("delay", "soon", "valid number"),
        ("order", "0", "order must be between 1 and 100"),
        ("order", "101", "order must be between 1 and 100"),
        ("seed", "-1", "seed must be at least 0, not -1"),
        ("seed", str(2**64), f"seed must be at most 2**64-1, not {2**64}"),
        ("seed", "lucky", "valid integer"),
    ],
)
def test_bad_option_values_are_refused(llm_cli, option, value, message):
    result = llm_cli("-m", "markov", "-o", option, value, PROMPT)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert message in result.output


def test_unknown_option_is_refused(llm_cli):
    result = llm_cli("-m", "markov", "-o", "top_p", "1", PROMPT)
    assert result.exit_code == 1
    assert "Error: " in result.output


def test_delay_is_spent_between_words_streaming_or_not(llm_cli):
    for stream_flag in ([], ["--no-stream"]):
        started = time.monotonic()
        args = [
            "-m",
            "markov",
            "-o",
            "length",
            "4",
            "-o",
            "delay",
            "0.15",
            *stream_flag,
        ]
        result = llm_cli(*args, PROMPT)
        elapsed = time.monotonic() - started
        assert result.exit_code == 0, result.output
        assert len(result.output.split()) == 4
        # Three gaps between four words.
        assert elapsed >= 0.45


def test_logs_show_options_table_and_usage(llm_cli, last_log):
    result = llm_cli("-m", "markov", "-o", "length", "5", "-o", "seed", "7", PROMPT)
    assert result.exit_code == 0
    entry = last_log()
    assert entry["options_json"]["length"] == 5
    assert entry["options_json"]["seed"] == 7
    logged = entry["response_json"]
    assert logged["seed"] == 7
    assert logged["order"] == 1
    assert logged["transitions"]["the"] == {"cat": 2, "mat": 1, "dog": 1}
    assert logged["transitions"]["sat"] == {"on": 2}
    assert "cat" in logged["transitions"]  # "cat" ends the text but also has "sat"
    assert entry["input_tokens"] == len(PROMPT.split())
    assert entry["output_tokens"] == 5
    assert entry["response"] == result.output.rstrip("\n")


def test_logs_summarise_a_large_table(llm_cli, last_log, sherlock):
    result = llm_cli("-m", "markov", input=sherlock)
    assert result.exit_code == 0
    logged = last_log()["response_json"]
    assert logged["transitions"] is None
    assert logged["token_count"] == len(sherlock.split())
    assert logged["transition_count"] == len(sherlock.split()) - 1
    assert logged["vocabulary_size"] == len(set(sherlock.split()))
    assert logged["transitions_limit"] < logged["transition_count"]
    assert len(json.dumps(logged)) < 1000


def test_a_logged_seed_replays_the_response(llm_cli, last_log, sherlock):
    first = llm_cli(
        "-m", "markov", "-o", "length", "60", "-o", "order", "2", input=sherlock
    )
    seed = last_log()["response_json"]["seed"]
    replay = llm_cli(
        "-m",
        "markov",
        "-o",
        "length",
        "60",
        "-o",
        "order",
        "2",
        "-o",
        "seed",
        str(seed),
        input=sherlock,
    )
    assert replay.output == first.output


def test_order_two_follows_pairs_of_words(llm_cli, sherlock):
    result = llm_cli(
        "-m", "markov", "-o", "order", "2", "-o", "length", "300", input=sherlock
    )
    assert result.exit_code == 0, result.output
    assert_walk(result.output.split(), sherlock, order=2)


def test_order_above_the_token_count_is_explained(llm_cli):
    result = llm_cli("-m", "markov", "-o", "order", "4", "one two three")
    assert result.exit_code == 1
    assert (
        "order 4 needs a text of at least 4 words, but this one has 3" in result.output
    )


def test_system_prompt_is_ignored_and_logged_as_such(llm_cli, last_log):
    with_system = llm_cli(
        "-m", "markov", "-s", "zebra quagga", "-o", "seed", "3", PROMPT
    )
    assert with_system.exit_code == 0
    assert "zebra" not in with_system.output
    assert "ignored" in last_log()["response_json"]["system_prompt"]
    without = llm_cli("-m", "markov", "-o", "seed", "3", PROMPT)
    assert with_system.output == without.output


def test_continued_conversation_learns_every_user_turn(llm_cli, last_log):
    assert llm_cli("-m", "markov", "alpha beta alpha").exit_code == 0
    assert llm_cli("-c", "gamma delta gamma").exit_code == 0
    result = llm_cli("-c", "-o", "length", "500", "epsilon zeta epsilon")
    assert result.exit_code == 0
    entry = last_log()
    assert entry["input_tokens"] == 9
    assert set(entry["response_json"]["transitions"]) == {
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
    }
    history = "alpha beta alpha\ngamma delta gamma\nepsilon zeta epsilon"
    assert_walk(result.output.split(), history)


def test_chat_vocabulary_grows_with_the_conversation(llm_cli):
    turns = "red green red\nblue yellow blue\nquit\n"
    result = llm_cli("chat", "-m", "markov", "-o", "length", "300", input=turns)
    assert result.exit_code == 0, result.output
    replies = [
        line
        for line in result.output.splitlines()
        if line and not line.startswith(("Chatting", "Type", ">", "!"))
    ]
    first, second = (set(reply.split()) for reply in replies[-2:])
    assert first <= {"red", "green"}
    assert {"blue", "yellow"} & second
    assert second <= {"red", "green", "blue", "yellow"}
