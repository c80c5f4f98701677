"""Two writers of one saved chain at once: the second waits for the first
and sees what it saved, so no update is lost and no "Saved" is reported for
work another process overwrote."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from filelock import FileLock
from llm_markov_rs._markov import Chain


def start_writer(*arguments: str) -> subprocess.Popen[str]:
    """``llm markov ARGUMENTS`` in a process of its own, as a second user
    would run it."""
    return subprocess.Popen(
        [sys.executable, "-m", "llm", "markov", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def wait_until_it_waits(writer: subprocess.Popen[str]) -> str:
    """The line the writer prints when it finds the chain's lock held; a
    writer that does not wait for it ends instead, and fails the test."""
    assert writer.stderr is not None
    line = writer.stderr.readline()
    assert line.startswith("Waiting for another process"), line + writer.stderr.read()
    return line


@pytest.fixture
def chains(user_path):
    folder = user_path / "markov"
    folder.mkdir()
    return folder


def test_an_addition_waits_for_the_writer_before_it(chains, tmp_path):
    # The bug: two `train base FILE --add` at once each read base, added
    # their own text and saved; both said "Saved", and one's text was lost.
    Chain("alpha beta alpha").save(str(chains / "base.markov"), "{}")
    added = tmp_path / "c.txt"
    added.write_text("gamma delta gamma\n", encoding="utf-8")
    with FileLock(chains / ".base.markov.lock"):
        writer = start_writer("train", "base", str(added), "--add")
        wait_until_it_waits(writer)
        # The first writer's work, saved while it holds the lock.
        Chain("alpha beta alpha epsilon zeta").save(str(chains / "base.markov"), "{}")
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert "Saved chain 'base'" in out
    # The first writer's five words and the addition's three, and all six
    # distinct ones: alpha, beta, epsilon, zeta, gamma, delta.
    chain, _ = Chain.load(str(chains / "base.markov"))
    assert (chain.token_count, chain.vocabulary_size) == (5 + 3, 6)


def test_a_new_chain_made_meanwhile_is_not_overwritten(chains, tmp_path):
    # The bug: two `train fresh FILE` without --force at once both passed
    # the check that fresh did not exist, and the later rename won.
    text = tmp_path / "t.txt"
    text.write_text("one two three\n", encoding="utf-8")
    with FileLock(chains / ".fresh.markov.lock"):
        writer = start_writer("train", "fresh", str(text))
        wait_until_it_waits(writer)
        Chain("made meanwhile").save(str(chains / "fresh.markov"), "{}")
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 1
    assert err.startswith("Error: a chain called 'fresh' already exists")
    assert "Saved" not in out
    chain, _ = Chain.load(str(chains / "fresh.markov"))
    assert chain.token_count == 2


def test_a_merge_waits_too(chains, tmp_path):
    Chain("a b a").save(str(chains / "x.markov"), "{}")
    with FileLock(chains / ".merged.markov.lock"):
        writer = start_writer("merge", "merged", "x")
        wait_until_it_waits(writer)
        Chain("made meanwhile").save(str(chains / "merged.markov"), "{}")
    _, err = writer.communicate(timeout=120)
    assert writer.returncode == 1
    assert "a chain called 'merged' already exists" in err


#: A reader in a process of its own: loads the chain (its copy index
#: mapped), writes a guarded stretch, then waits for a line on stdin while
#: the test replaces the file, and writes a guarded stretch again from the
#: chain it loaded.
READER = """
import sys
from llm_markov_rs._markov import Chain
chain, _ = Chain.load(sys.argv[1])
walk = chain.walk(4000, 1, max_copy=3)
print(walk.next_text(20), flush=True)
sys.stdin.readline()
print(walk.next_text(4000), flush=True)
"""


def test_a_chain_replaced_while_a_prompt_has_it_open_keeps_both(chains, tmp_path):
    # The bug it would catch: a prompt that reads its copy index in place
    # from a file changed under it (a save that wrote into the file, not a
    # new one renamed over it), or a save that fails while the old file is
    # open. The reader goes on with the chain it loaded; the new chain is
    # the new text's.
    old_text = " ".join(f"old{index % 97}" for index in range(30_000))
    Chain(old_text, copy_index=True).save(str(chains / "shared.markov"), "{}")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(chains / "shared.markov")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None
    assert reader.stdin is not None
    first = reader.stdout.readline().split()
    assert len(first) == 20, reader.stderr.read() if reader.stderr else ""
    new = tmp_path / "new.txt"
    new.write_text(" ".join(f"new{index % 89}" for index in range(20_000)))
    writer = start_writer("train", "shared", str(new), "--force")
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert "Saved chain 'shared'" in out
    reader.stdin.write("go on\n")
    reader.stdin.flush()
    rest, errors = reader.communicate(timeout=120)
    assert reader.returncode == 0, errors
    words = first + rest.split()
    assert len(words) == 4000
    assert all(word.startswith("old") for word in words)
    replaced, _ = Chain.load(str(chains / "shared.markov"))
    walk = replaced.walk(50, 1, max_copy=3)
    assert all(word.startswith("new") for word in walk.next_text(50).split())
