"""Checks shared by the tests: what makes an output a walk through a text's
chain, built here the slow obvious way from ``str.split()``."""

from __future__ import annotations

import pathlib
import subprocess
import sys
from collections import defaultdict

import llm

#: A short text whose chain branches: "the" and "sat" have several followers.
PROMPT = "the cat sat on the mat and the dog sat on the cat"


def generate(text: str, **options) -> str:
    """The whole response of the markov model, through llm's Python API."""
    return llm.get_model("markov").prompt(text, **options).text()


def reference_table(
    words: list[str], order: int
) -> dict[tuple[str, ...], dict[str, int]]:
    """Each run of ``order`` words mapped to the words that follow it, each
    with how many times it did."""
    table: dict[tuple[str, ...], dict[str, int]] = defaultdict(dict)
    for index in range(len(words) - order):
        followers = table[tuple(words[index : index + order])]
        following = words[index + order]
        followers[following] = followers.get(following, 0) + 1
    return dict(table)


def assert_walk(output: list[str], text: str, order: int = 1) -> None:
    """Assert that ``output`` is a walk through the chain of ``text``.

    Every word is a word of the text. The walk opens with ``order``
    consecutive words of the text; each later word follows the ``order``
    words before it somewhere in the text, except after a dead end (a run
    with no follower), where a new run of the text starts.
    """
    words = text.split()
    vocabulary = set(words)
    assert set(output) <= vocabulary, set(output) - vocabulary
    table = reference_table(words, order)
    runs = {tuple(words[i : i + order]) for i in range(len(words) - order + 1)}

    def is_run_start(piece: list[str]) -> bool:
        return any(run[: len(piece)] == tuple(piece) for run in runs)

    assert is_run_start(output[:order])
    position = order
    while position < len(output):
        context = tuple(output[position - order : position])
        if context in table:
            assert output[position] in table[context], (context, output[position])
            position += 1
        else:
            assert is_run_start(output[position : position + order]), position
            position += order


# The sentence rule as the README documents it, written again here the slow
# obvious way, to check the Rust one against.
TERMINALS = ".!?…。．！？‼⁇⁈⁉؟।॥｡"
CLOSERS = "\"')]}”’»›」』）］】〉》〕"
OPENERS = "\"'([{“‘«‹「『（"
ABBREVIATIONS = set(
    [
        "Mr",
        "Mrs",
        "Ms",
        "Messrs",
        "Mme",
        "Mlle",
        "Dr",
        "Prof",
        "Rev",
        "Hon",
        "St",
        "Sr",
        "Jr",
        "Capt",
        "Col",
        "Gen",
        "Lt",
        "Maj",
        "Sgt",
        "Gov",
        "Sen",
        "Rep",
        "Pres",
        "Supt",
        "Insp",
        "Mt",
        "Ft",
        "Ave",
        "Rd",
        "Blvd",
        "No",
        "Nos",
        "Vol",
        "Vols",
        "Fig",
        "Figs",
        "Ch",
        "Jan",
        "Feb",
        "Apr",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "vs",
        "v",
        "viz",
        "cf",
        "al",
        "ca",
        "approx",
        "e.g",
        "i.e",
        "pp",
        "ibid",
        "op",
    ]
)


def ends_sentence(word: str) -> bool:
    """Whether ``word`` ends a sentence: terminal punctuation, closing quotes
    and brackets allowed after it, but not an abbreviation or an initial."""
    if any(0xD800 <= ord(character) <= 0xDFFF for character in word):
        tail = word[
            max(i for i, c in enumerate(word) if 0xD800 <= ord(c) <= 0xDFFF) + 1 :
        ]
        return bool(tail) and ends_sentence(tail)
    closed = word.rstrip(CLOSERS)
    if not closed or closed[-1] not in TERMINALS:
        return False
    if closed[-1] != ".":
        return True
    body = closed[:-1]
    if body and body[-1] in TERMINALS:
        return True
    body = body.lstrip(OPENERS)
    initial = len(body) == 1 and body.isupper()
    return not (initial or body in ABBREVIATIONS)


def starts_lower(word: str) -> bool:
    """Whether ``word`` starts with a lower-case letter or a dash: the word
    before it then ends no sentence."""
    return bool(word) and (word[0].islower() or word[0] in "-–—")


def ends_at(words: list[str], index: int) -> bool:
    """Whether the word at ``index`` ends a sentence there: by the rule, and
    not before a word in lower case or a dash."""
    following = words[index + 1] if index + 1 < len(words) else None
    return ends_sentence(words[index]) and not (
        following is not None and starts_lower(following)
    )


def sentence_starts(words: list[str]) -> set[int]:
    """Where sentences start in ``words``: the first word, and each word
    after one that ends a sentence there."""
    return {0} | {i + 1 for i in range(len(words) - 1) if ends_at(words, i)}


def sentence_ends(words: list[str]) -> set[str]:
    """The words that end a sentence somewhere in ``words``: those a walk
    counts as sentence ends."""
    return {words[i] for i in range(len(words)) if ends_at(words, i)}


def files_in(folder: pathlib.Path) -> list[str]:
    """The names of the files in the chains' ``folder`` (none if it is not
    there), but the writers' lock files: empty files that the operating
    system's lock is taken on, left in place as locks are (removing one
    would let a third writer lock a new file while a second waits on the
    old)."""
    if not folder.exists():
        return []
    return sorted(
        path.name for path in folder.iterdir() if not path.name.endswith(".lock")
    )


def packed_bytes(count: int, width: int) -> int:
    """The bytes a chain file takes for ``count`` ids of ``width`` bits:
    whole 4-byte words."""
    return (count * width + 31) // 32 * 4


def copy_index_layout(tokens: int, words: int) -> tuple[int, int, int]:
    """The bits of each id of a copy index's text (the words and the
    separator) and of each start of its suffix array, and the bytes of the
    whole index with its checksum, as docs/chain-format.md gives them for
    a text of one window (fewer than 33.6 million tokens)."""
    text_width, suffix_width = (
        max(words.bit_length(), 1),
        max((tokens - 1).bit_length(), 1),
    )
    size = (
        4 * (words + 2)
        + packed_bytes(tokens, text_width)
        + packed_bytes(tokens, suffix_width)
        + 4
    )
    return text_width, suffix_width, size


def printed_by_python(code: str) -> str:
    """What ``code`` prints, run by this interpreter in a process of its
    own: what importing a module pulls in shows only in a fresh one."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
