"""Chain files are shared between people, so a saved chain's file is
untrusted input: every kind of bad file is one ``Error:`` line that names it
and says what to do, never a crash, a hang or wrong words."""

from __future__ import annotations

import json
import struct
import zlib

import llm
import pytest
from llm_markov_rs import MarkovError, train_chain

from helpers import PROMPT, copy_index_layout, packed_bytes

#: The fixed header: magic, version, tokens, copy index length, the
#: distance between its windows and their overlap, order, words,
#: transitions, vocabulary size, vocabulary bytes, states, distinct
#: transitions, states that follow none, the sentences' plan (steps a
#: state, pairs that reach an end, distances kept apart, the least
#: sentence), metadata length.
HEADER = struct.Struct("<8sIIIIIIQQIQIIIIIIQI")


@pytest.fixture
def saved(user_path):
    """The bytes of a real chain file of order 2, and where to put a copy."""
    info = train_chain("good", [PROMPT], order=2)
    return info.path.read_bytes(), user_path / "markov"


def with_checksum(body: bytes) -> bytes:
    """``body`` (a file without its last four bytes) with its checksums
    fixed, as a forger who read the format would write them: the chain's,
    after its sections, and with a copy index, the index's, at the end."""
    data = bytearray(body + bytes(4))
    (_, _, _, tokens, _, _, _, _, _, words, *_) = HEADER.unpack_from(data)
    index = copy_index_layout(tokens, words)[2] if tokens else 0
    last = len(data) - 4
    chain_end = last - index
    if chain_end > 0 and index:
        struct.pack_into("<I", data, chain_end, zlib.crc32(data[:chain_end]))
        struct.pack_into("<I", data, last, zlib.crc32(data[chain_end + 4 : last]))
    else:
        struct.pack_into("<I", data, last, zlib.crc32(data[:last]))
    return bytes(data)


def forge(data: bytes, at: int, value: int) -> bytes:
    """``data`` with the u32 at ``at`` set to ``value``, checksums fixed."""
    body = bytearray(data[:-4])
    struct.pack_into("<I", body, at, value)
    return with_checksum(bytes(body))


def sections(data: bytes) -> dict[str, int]:
    """Where each section of the file starts."""
    fields = HEADER.unpack_from(data)
    order, words, word_bytes, states, pairs, roots = fields[6], *fields[9:14]
    steps, metadata = fields[14], fields[18]

    def padded(length: int) -> int:
        """The metadata and the words' bytes are padded to 4 bytes."""
        return -(-length // 4) * 4

    ends = HEADER.size + padded(metadata)
    word_text = ends + 4 * words
    state_words = word_text + padded(word_bytes)
    # Each state's last word and the state it follows, then the states
    # that follow none, with their words; then a 0 and where each state's
    # followers end.
    follower_ends = state_words + 8 * states + 4 * roots * (1 + order) + 4
    followers = follower_ends + 4 * states
    return {
        "word_ends": ends,
        "words": word_text,
        "words_end": word_text + word_bytes,
        "state_words": state_words,
        "followers": followers,
        # Running totals of the counts.
        "counts": followers + 4 * pairs,
        # After the bits of the words that end a sentence and of the
        # states that start one: a bit a state and step of the sentences'
        # plan, then a byte for each set.
        "plan_bits": (plan := followers + 8 * pairs + -(-words // 8) + -(-states // 8)),
        "plan_distances": plan + -(-states * steps // 8),
    }


def bad_files(data: bytes) -> list[tuple[str, bytes, str]]:
    at = sections(data)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    not_text = bytearray(data[:-4])
    # No whitespace, and still the last word in byte order, but not UTF-8.
    not_text[at["words_end"] - 1] = 0xFF
    return [
        ("empty", b"", "not a markov chain file"),
        ("text", PROMPT.encode(), "not a markov chain file"),
        ("truncated", data[: len(data) * 2 // 3], "truncated"),
        ("header only", data[:20], "truncated"),
        ("flipped bit", bytes(flipped), "checksum does not match"),
        ("trailing bytes", data + b"junk", "more bytes than its header says"),
        ("newer version", forge(data, 8, 99), "upgrade llm-markov-rs"),
        ("older version", forge(data, 8, 0), "format 0"),
        ("follower out of range", forge(data, at["followers"], 10**6), "consistent"),
        ("zero count", forge(data, at["counts"], 0), "count of zero"),
        ("huge state count", forge(data, 52, 2**32 - 1), "truncated"),
        ("words not text", with_checksum(bytes(not_text)), "not text"),
        ("unknown tokens", forge(data, 12, 9), "tokens are of an unknown kind"),
        ("plan steps", forge(data, 72, 65), "65 steps a state, more than 64"),
    ]


@pytest.mark.parametrize("case", range(14))
def test_a_bad_file_is_one_error_line_naming_it(llm_cli, saved, case):
    data, folder = saved
    kind, content, message = bad_files(data)[case]
    path = folder / "shared.markov"
    path.write_bytes(content)
    result = llm_cli("-m", "markov/shared", "continue this")
    assert result.exit_code == 1, kind
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: cannot use the saved chain 'shared'"), kind
    assert str(path) in line
    assert message in line, (kind, line)
    assert "llm markov train shared FILE --force" in line or "upgrade" in line
    # The reason says what to do, the command how: said once, not twice.
    assert line.count("train it again") <= 1, line
    with pytest.raises(MarkovError, match="cannot use the saved chain"):
        llm.get_model("markov/shared").prompt("x").text()
    info = llm_cli("markov", "info", "shared")
    assert info.exit_code == 1
    assert message in info.output


def test_a_word_that_is_not_text_is_found_in_either_half_of_a_large_vocabulary(
    llm_cli, user_path
):
    # A large vocabulary's words are checked in two runs, one on another
    # thread. The bug: one run's answer lost, so a word that no Python
    # string can hold passes, in one half or the other. Each word differs
    # from the next before its last byte, which stays in byte order as
    # 0xFF, not UTF-8.
    words = [f"w{number:05d}z" for number in range(70_000)]
    data = train_chain("big", [" ".join(words)], copy_guard=False).path.read_bytes()
    start = sections(data)["words"]
    for word in (100, 69_000):
        body = bytearray(data[:-4])
        body[start + 7 * word + 6] = 0xFF
        (user_path / "markov" / "big.markov").write_bytes(with_checksum(bytes(body)))
        result = llm_cli("-m", "markov/big", "w00001z")
        assert result.exit_code == 1, (word, result.output)
        assert "not text" in result.output, (word, result.output)


def test_a_forged_plan_for_sentences_is_found_by_info_not_by_a_prompt(
    llm_cli, user_path
):
    # A prompt takes the plan saved for sentences as it is (checking it
    # would cost the backward pass it spares); `info` checks it whole. The
    # bugs: a forged plan that crashes a prompt, or that `info` passes.
    text = 'He said "go home." Then he left (at once). She said "no." He left.'
    data = train_chain("good", [text * 3], order=2).path.read_bytes()
    (*_, reachable, _, _, _) = HEADER.unpack_from(data)
    assert reachable > 0
    start = sections(data)["plan_distances"]
    body = bytearray(data[:-4])
    body[start : start + reachable] = bytes(reachable)
    (user_path / "markov" / "forged.markov").write_bytes(with_checksum(bytes(body)))
    prompt = llm_cli(
        "-m", "markov/forged", "-o", "sentences", "2", "-o", "max_copy", "0", "He"
    )
    assert prompt.exit_code == 0, prompt.output
    info = llm_cli("markov", "info", "forged")
    assert info.exit_code == 1
    (line,) = info.output.strip().splitlines()
    assert line.startswith("Error: cannot use the saved chain 'forged'"), line
    assert "its plan for sentences is not its chain's" in line, line
    assert llm_cli("markov", "info", "good").exit_code == 0
    # A merge makes its own plan, so a source's is not read, nor checked
    # (a pass over each source, for nothing): the merged file's is its own.
    merged = llm_cli("markov", "merge", "merged", "forged", "good")
    assert merged.exit_code == 0, merged.output
    assert llm_cli("markov", "info", "merged").exit_code == 0


def test_list_shows_unreadable_files_beside_good_ones(llm_cli, saved):
    _, folder = saved
    (folder / "broken.markov").write_bytes(b"not a chain")
    listed = json.loads(llm_cli("markov", "list", "--json").output)
    by_name = {entry["name"]: entry for entry in listed}
    assert by_name["good"]["order"] == 2
    assert "not a markov chain file" in by_name["broken"]["error"]
    table = llm_cli("markov", "list").output
    assert "unreadable" in table
    assert "good" in table


def test_registering_models_reads_no_chain_file(llm_cli, user_path):
    # Two hundred files that would fail if anything read them.
    folder = user_path / "markov"
    folder.mkdir()
    for number in range(200):
        (folder / f"chain-{number:03}.markov").write_bytes(b"garbage")
    (folder / ".hidden.markov.123.tmp").write_bytes(b"a temporary file")
    (folder / "Not A Name.markov").write_bytes(b"an unusable name")
    result = llm_cli("models")
    assert result.exit_code == 0, result.output
    ids = [
        line.split(": ", 1)[1] for line in result.output.splitlines() if ": " in line
    ]
    assert sum(model.startswith("markov/chain-") for model in ids) == 200
    assert not any("hidden" in model or "Not A Name" in model for model in ids)


def test_a_good_file_copied_elsewhere_still_works(llm_cli, saved):
    data, folder = saved
    (folder / "copy.markov").write_bytes(data)
    result = llm_cli("-m", "markov/copy", "-o", "length", "5", "the")
    assert result.exit_code == 0, result.output
    assert set(result.output.split()) <= set(PROMPT.split())


def test_a_header_reads_any_metadata_that_loading_the_file_reads(llm_cli, user_path):
    # Metadata is a Python string, lone surrogates and all: reading the
    # header alone (llm markov list) must accept what loading accepts.
    from llm_markov_rs._markov import Chain, read_chain_header

    folder = user_path / "markov"
    folder.mkdir()
    path = folder / "odd.markov"
    Chain(PROMPT).save(str(path), '{"trained_from": ["caf\udcff.txt"]}')
    _, loaded = Chain.load(str(path))
    assert read_chain_header(str(path))["metadata"] == loaded
    (entry,) = json.loads(llm_cli("markov", "list", "--json").output)
    assert entry["name"] == "odd"
    assert "error" not in entry


@pytest.mark.parametrize(
    "metadata", ["[" * 100_000, '{"trained_from": ' + "[" * 100_000 + "]"]
)
def test_metadata_nested_too_deep_reads_as_none(llm_cli, user_path, metadata):
    # The bug: such a chain loaded, and then list, info and merge raised
    # RecursionError from json.loads.
    from llm_markov_rs._markov import Chain

    folder = user_path / "markov"
    folder.mkdir()
    Chain(PROMPT).save(str(folder / "deep.markov"), metadata)
    listed = llm_cli("markov", "list", "--json")
    assert listed.exit_code == 0
    (entry,) = json.loads(listed.output)
    assert entry["name"] == "deep"
    assert "error" not in entry
    assert entry["trained_from"] == []
    assert llm_cli("markov", "info", "deep").exit_code == 0
    merged = llm_cli("markov", "merge", "both", "deep", "deep")
    assert merged.exit_code == 0, merged.output


def test_a_suffix_array_out_of_order_is_found_by_info_and_merge(llm_cli, saved):
    # A prompt's load checks only that the copy index's suffixes lie in its
    # text (so that it need not read the whole index at once); the order is
    # checked by info and merge. The bugs it would catch: a forged order
    # that info or merge let through, or a guarded prompt that crashed on
    # it instead of writing words.
    data, folder = saved
    (_, _, _, tokens, _, _, _, _, _, words, *_) = HEADER.unpack_from(data)
    _, width, _ = copy_index_layout(tokens, words)
    # The suffix array, packed at `width` bits a start, is last before the
    # checksum: its first two starts swapped.
    size = packed_bytes(tokens, width)
    at = len(data) - 4 - size
    packed = int.from_bytes(data[at : at + size], "little")
    mask = (1 << width) - 1
    first, second = packed & mask, packed >> width & mask
    packed = packed >> 2 * width << 2 * width | first << width | second
    body = data[:at] + packed.to_bytes(size, "little")
    (folder / "shared.markov").write_bytes(with_checksum(body))
    for args in (
        ("markov", "info", "shared"),
        ("markov", "merge", "both", "shared", "good"),
    ):
        result = llm_cli(*args)
        assert result.exit_code == 1, args
        (line,) = result.output.strip().splitlines()
        assert "not the suffix array of its text" in line, line
        assert "shared" in line
    prompted = llm_cli(
        "-m", "markov/shared", "-o", "max_copy", "3", "-o", "seed", "1", "continue this"
    )
    assert prompted.exit_code == 0, prompted.output
    assert prompted.output.split()
    assert llm_cli("markov", "info", "good").exit_code == 0
