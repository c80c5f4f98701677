"""Ctrl-C and threads: the real ``llm`` command interrupted mid-response, and
the native objects shared between threads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import llm
import pytest

from helpers import assert_walk, files_in

#: What the development build (the fault-injection feature, never in a
#: release) prints, with LLM_MARKOV_RS_TEST_MARKS set, when the Rust core
#: sees Ctrl-C's cancel flag.
CANCEL_MARK = b"llm-markov-rs: the core saw the cancel"
#: What it prints when a long step (a build or a save) begins.
STARTED_MARK = b"llm-markov-rs: a watched step started"
#: What it prints when a step of a build finished after Ctrl-C, before the
#: core looked at the flag again, and gave way to the KeyboardInterrupt.
GAVE_WAY_MARK = b"llm-markov-rs: a finished step gave way to the cancel"


def wait_for_the_build(process: subprocess.Popen, steps: int = 1) -> bytes:
    """Read ``process``'s stderr until the test build says ``steps`` long
    steps have begun (so that Ctrl-C lands in the Rust build, not while llm
    is still reading its input); return what was read."""
    read = b""
    while read.count(STARTED_MARK) < steps:
        chunk = process.stderr.read1(4096)
        assert chunk, read
        read += chunk
    return read


# SIGINT is how POSIX shells deliver Ctrl-C; Windows consoles use their own
# event, which a test cannot send to one child alone.
posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGINT is POSIX")


def listen_to_ctrl_c() -> None:
    # A shell without job control starts background commands with SIGINT
    # ignored, and children inherit that (a CI runner may do the same).
    # Restore the default, as an interactive terminal has it, so that
    # Python installs its KeyboardInterrupt handler in the child.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_llm(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "llm", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=listen_to_ctrl_c,
        # The development build's marks on stderr: when the Rust build began,
        # and when it saw the cancel.
        env={**os.environ, "LLM_MARKOV_RS_TEST_MARKS": "1"},
    )


def interrupt(process: subprocess.Popen) -> tuple[float, bytes, bytes]:
    """Send Ctrl-C; return how long the command took to stop, and its output."""
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    stdout, stderr = process.communicate(timeout=30)
    return time.monotonic() - sent, stdout, stderr


@posix_only
def test_ctrl_c_stops_a_slow_stream_at_once(user_path):
    process = start_llm("-m", "markov", "-o", "delay", "0.4", "-o", "length", "500")
    process.stdin.write(b"one two three four five six")
    process.stdin.close()
    process.stdin = None  # communicate() must not flush it again
    # Wait for the stream to have started: the first word arrives at once.
    first = process.stdout.read1(100)
    assert first.strip()
    time.sleep(0.5)
    stopped_after, stdout, stderr = interrupt(process)
    assert stopped_after < 1.0
    assert process.returncode == 1
    assert b"Aborted!" in stderr
    assert b"Traceback" not in stderr
    # It stopped early: far fewer than the 500 words asked for.
    assert len((first + stdout).split()) < 20


@posix_only
def test_ctrl_c_stops_a_large_build(user_path, sherlock):
    # About 94 MB at the highest order: splitting takes about 0.15 s, then
    # linking about 15 s (every window of the text repeated 800 times is a
    # state, so each of the 100 rounds is whole). The interrupt lands in
    # the linking, the second watched step. (When it landed as splitting
    # finished, it used to be swallowed, and linking ran on to the end,
    # 21-29 s: a finished step of a build now gives way to Ctrl-C.)
    text = (sherlock * 800).encode()
    process = start_llm("-m", "markov", "-o", "order", "100", "-o", "length", "5")
    # Once the last byte is written, llm has read all but a pipe buffer of it
    # and is about to build.
    process.stdin.write(text)
    process.stdin.close()
    process.stdin = None
    before = wait_for_the_build(process, steps=2)
    time.sleep(0.1)
    stopped_after, stdout, stderr = interrupt(process)
    stderr = before + stderr
    assert stopped_after < 1.0
    assert process.returncode == 1
    assert stdout == b""  # no words: the build did not finish
    # The Rust build saw the cancel: the interrupt did not land while llm
    # was still reading its input (the test build prints this mark).
    assert CANCEL_MARK in stderr
    assert b"Aborted!" in stderr
    assert b"Traceback" not in stderr


@posix_only
def test_ctrl_c_as_a_step_of_the_build_finishes_still_stops_it(
    user_path, sherlock, monkeypatch
):
    # The bug: a Ctrl-C that came after splitting had finished, but before
    # its result was handed over, was swallowed with the finished result,
    # and linking (seconds here) ran on to the end and wrote words. The
    # test build hands each step's result over half a second late, and
    # the interrupt lands in that half second.
    monkeypatch.setenv("LLM_MARKOV_RS_TEST_LATE_STEPS", "1")
    text = (sherlock * 100).encode()
    process = start_llm("-m", "markov", "-o", "order", "100", "-o", "length", "5")
    process.stdin.write(text)
    process.stdin.close()
    process.stdin = None
    before = wait_for_the_build(process)
    time.sleep(0.25)
    stopped_after, stdout, stderr = interrupt(process)
    stderr = before + stderr
    assert stopped_after < 1.0
    assert process.returncode == 1
    assert stdout == b""
    assert b"Aborted!" in stderr
    # Linking never began: splitting's result gave way to the interrupt.
    assert stderr.count(STARTED_MARK) == 1
    assert GAVE_WAY_MARK in stderr


@posix_only
@pytest.mark.parametrize(
    ("after_seconds", "flags"),
    # Without the copy guard, the text is built in pieces while the next
    # is read on a thread of its own.
    [(0.05, []), (0.5, []), (1.5, []), (0.5, ["--no-copy-guard"])],
)
def test_ctrl_c_stops_training_and_leaves_no_file(
    user_path, sherlock, after_seconds, flags
):
    # About 94 MB at the highest order. Once the last byte is written, llm
    # has read all but a pipe buffer of it; here splitting then takes about
    # 0.15 s, then linking takes several seconds while the copy index's
    # suffix array is sorted beside it, so the interrupts land early in the
    # build, and while both run. (A loop of the sort that did not look at
    # the cancel flag once kept a slower machine busy for over a second
    # after Ctrl-C.)
    text = (sherlock * 800).encode()
    process = start_llm("markov", "train", "big", "--order", "100", *flags)
    process.stdin.write(text)
    process.stdin.close()
    process.stdin = None
    before = wait_for_the_build(process)
    time.sleep(after_seconds)
    stopped_after, _, stderr = interrupt(process)
    stderr = before + stderr
    assert stopped_after < 1.0
    assert process.returncode == 1
    # The build stopped on the interrupt: the core saw the cancel, or (the
    # earliest interrupt may land after the last look of splitting) a step
    # that finished gave way to it instead of the next step starting.
    if after_seconds >= 0.5:
        assert CANCEL_MARK in stderr
    else:
        assert CANCEL_MARK in stderr or GAVE_WAY_MARK in stderr
    assert b"Aborted!" in stderr
    assert b"Traceback" not in stderr
    folder = user_path / "markov"
    assert files_in(folder) == []


def test_threads_racing_for_one_walk_each_take_whole_distinct_words():
    # No lock around the walk: threads race for it, as a shared walk would
    # be used. The text is a cycle of distinct words, so a walk is one run
    # around it and each word marks one place in it: every piece a thread
    # took can be put back where it came from. Lost, repeated, torn or
    # run-together words, or a chunk that is not one stretch of the walk,
    # cannot all be put back without a gap or an overlap.
    from llm_markov_rs._markov import Chain

    cycle = [f"w{index}" for index in range(60_000)]
    chain = Chain(" ".join([*cycle, cycle[0]]))
    length = 50_000
    for seed in range(8):
        walk = chain.walk(length, seed)
        expected = chain.walk(length, seed).next_text(length).split(" ")
        pieces = race_for(walk, chunk_sizes=(0, 1, 97, 4096))
        place = {word: index for index, word in enumerate(expected)}
        covered = 0
        for words in sorted(pieces, key=lambda words: place[words[0]]):
            start = place[words[0]]
            assert start == covered, f"seed {seed}: gap or overlap at word {covered}"
            assert words == expected[start : start + len(words)], f"seed {seed}"
            covered += len(words)
        assert covered == length
        assert walk.remaining == 0


def race_for(walk, chunk_sizes: tuple[int, ...]) -> list[list[str]]:
    """Drain ``walk`` from one thread per chunk size (0: word by word with
    ``next``), all at once; return the pieces each call gave, as words."""
    taken: list[list[str]] = []

    def take(chunk_words: int) -> None:
        while True:
            if chunk_words == 0:
                piece = next(walk, None)
                if piece is None:
                    return
                taken.append([piece.removeprefix(" ")])
            else:
                chunk = walk.next_text(chunk_words)
                if not chunk:
                    return
                taken.append(chunk.removeprefix(" ").split(" "))

    threads = [threading.Thread(target=take, args=(size,)) for size in chunk_sizes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return taken


def test_async_and_threads_mix(sherlock):
    # Threads each running their own event loop over one async model.
    import asyncio

    model = llm.get_async_model("markov")
    results: dict[int, str] = {}

    def run(seed: int) -> None:
        async def go() -> str:
            return await model.prompt(sherlock, length=200, seed=seed).text()

        results[seed] = asyncio.run(go())

    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for seed, output in results.items():
        assert (
            output
            == llm.get_model("markov").prompt(sherlock, length=200, seed=seed).text()
        )
        assert_walk(output.split(), sherlock)


@posix_only
def test_ctrl_c_after_a_save_cannot_stop_it_says_saved(user_path, tmp_path):
    # The bug: Ctrl-C after the save's last look at the cancel flag printed
    # "Aborted!" while the new file was renamed into place anyway. The test
    # build pauses for 2 s between that look and the rename for this name.
    name = "fault-injection-slow-save"
    text = tmp_path / "text.txt"
    text.write_text("one two three one two four", encoding="utf-8")
    process = start_llm("markov", "train", name, str(text))
    process.stdin.close()
    process.stdin = None
    folder = user_path / "markov"
    deadline = time.monotonic() + 20
    while not (folder.exists() and any(folder.glob(f".{name}.markov.*.tmp"))):
        assert time.monotonic() < deadline, "the save never started"
        time.sleep(0.02)
    time.sleep(0.3)  # the temporary file is written and flushed by now
    _, stdout, stderr = interrupt(process)
    assert process.returncode == 0, stderr
    assert f"Saved chain '{name}'".encode() in stdout
    assert b"Aborted!" not in stderr
    assert files_in(folder) == [f"{name}.markov"]
