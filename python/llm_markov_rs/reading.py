"""Reading training text: each source is a document, read whole or in
pieces cut where a chain may cut its text.

A piece ends right after a line feed that a character other than
whitespace follows: every token mode cuts a text there the same way as it
cuts the whole, so the pieces' tokens are the document's.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeAlias

from llm_markov_rs.errors import MarkovError

#: Text to learn from: a ``str`` is the text itself, a path names a file,
#: and a binary file object (``sys.stdin.buffer``) is read to its end.
Source: TypeAlias = str | os.PathLike[str] | BinaryIO

#: Called as work goes on with ``(stage, done, total)``; see
#: :func:`llm_markov_rs.train_chain` for the stages.
ProgressCallback: TypeAlias = Callable[[str, int, int], None]

#: Files are read this many bytes at a time.
READ_CHUNK_BYTES = 1 << 22


@dataclass
class ReadProgress:
    """Bytes read of all the sources, reported as ``stage``."""

    callback: ProgressCallback | None
    stage: str
    total: int
    done: int = 0

    def advance(self, count: int) -> None:
        """Counts ``count`` more bytes read, and reports them."""
        self.done += count
        if self.callback is not None:
            self.callback(self.stage, self.done, self.total)


def total_size(sources: list[Source]) -> int:
    """The bytes of all the files among ``sources``, or 0 when one is of
    unknown size (a pipe)."""
    sizes = [_size(source) for source in sources]
    return 0 if None in sizes else sum(size or 0 for size in sizes)


def describe(source: Source) -> str:
    """How a source is named in a chain's metadata and in errors."""
    if isinstance(source, str):
        return "<text>"
    if isinstance(source, os.PathLike):
        return os.fspath(source)
    # A file object's name; sys.stdin.buffer's is "<stdin>", and an open
    # file descriptor's a number.
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<stdin>"


def read_document(
    source: Source,
    codec: codecs.CodecInfo,
    progress: ReadProgress,
    piece_bytes: int | None,
) -> Iterator[tuple[str, bool]]:
    """The text of ``source`` as ``(piece, is_last)`` pairs: whole when
    ``piece_bytes`` is None, else in pieces of about that many bytes, each
    but the last ending where a chain may cut its text. A MarkovError says
    which file cannot be read or decoded, and where."""
    if isinstance(source, str):
        yield source, True
        return
    display = describe(source)
    if not isinstance(source, os.PathLike):
        yield from _pieces(source, display, codec, progress, piece_bytes)
        return
    try:
        with open(source, "rb") as file:
            yield from _pieces(file, display, codec, progress, piece_bytes)
    except OSError as error:
        reason = error.strerror or str(error)
        raise MarkovError(f"cannot read {display}: {reason}") from None


def last_cut(text: str, before: int) -> int:
    """The last place at or before ``before`` where ``text`` may be cut
    into pieces (after a line feed, before a character other than
    whitespace), or 0 when there is none."""
    at = before
    while (line_feed := text.rfind("\n", 0, at)) >= 0:
        cut = line_feed + 1
        if cut < len(text) and cut <= before and not text[cut].isspace():
            return cut
        at = line_feed
    return 0


def _pieces(
    file: BinaryIO,
    display: str,
    codec: codecs.CodecInfo,
    progress: ReadProgress,
    piece_bytes: int | None,
) -> Iterator[tuple[str, bool]]:
    def decode(data: bytes | bytearray, final: bool, read_before: int) -> str:
        return _decode(codec, decoder, data, final, read_before, display)

    decoder = codec.incrementaldecoder("strict")
    if piece_bytes is None:
        # Decoded in one call: several times faster than chunk by chunk.
        yield decode(_read_all(file, progress), True, 0), True
        return
    read_before = 0
    rest = ""
    ended = False
    while True:
        data, ended = (b"", True) if ended else _read_up_to(file, piece_bytes, progress)
        text = rest + decode(data, ended, read_before)
        read_before += len(data)
        if ended:
            yield text, True
            return
        cut = last_cut(text, len(text))
        if cut == 0:
            # No place to cut yet (one very long line): read on.
            rest = text
            continue
        rest = text[cut:]
        yield text[:cut], False


def _decode(
    codec: codecs.CodecInfo,
    decoder: codecs.IncrementalDecoder,
    data: bytes | bytearray,
    final: bool,
    read_before: int,
    display: str,
) -> str:
    """``data`` decoded after the bytes before it, or a MarkovError that
    gives the byte offset of the first undecodable byte in the file and
    suggests ``--encoding``."""
    held, _ = decoder.getstate()
    try:
        return decoder.decode(data, final)
    except UnicodeDecodeError as error:
        # The decoder may hold the start of a character from the bytes
        # before: the error counts from there.
        at = read_before - len(held) + error.start
        bad = (bytes(held) + bytes(data))[error.start : error.start + 1].hex()
        raise MarkovError(
            f"{display} is not valid {codec.name} text: byte {at} "
            f"(0x{bad}) cannot be decoded; give its encoding with "
            "--encoding (encoding= in Python), for example --encoding "
            "latin-1"
        ) from None


def _size(source: Source) -> int | None:
    if isinstance(source, str):
        return 0
    if isinstance(source, os.PathLike):
        try:
            return Path(source).stat().st_size
        except OSError:
            return 0  # reading it will say what is wrong
    return None


def _read_up_to(
    file: BinaryIO, count: int, progress: ReadProgress
) -> tuple[bytes, bool]:
    """Up to ``count`` bytes of ``file``, read a chunk at a time, and
    whether it has ended."""
    # A buffered file's read comes back short only at its end; reading on
    # would wait for a second Ctrl-D on a terminal.
    ends_when_short = isinstance(file, io.BufferedIOBase)
    chunks: list[bytes] = []
    wanted = count
    while wanted > 0:
        asked = min(wanted, READ_CHUNK_BYTES)
        chunk = file.read(asked)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        wanted -= len(chunk)
        progress.advance(len(chunk))
        if ends_when_short and len(chunk) < asked:
            return b"".join(chunks), True
    return b"".join(chunks), False


def _read_all(file: BinaryIO, progress: ReadProgress) -> bytes | bytearray:
    """Every byte of ``file``, read a chunk at a time: straight into one
    buffer when it is a regular file of known size."""
    try:
        size = os.fstat(file.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        size = 0
    readinto: Callable[[memoryview], int] | None = getattr(file, "readinto", None)
    buffer = bytearray(size if readinto else 0)
    read = 0
    if readinto is not None and buffer:
        with memoryview(buffer) as view:
            while read < size and (
                count := readinto(view[read : read + READ_CHUNK_BYTES])
            ):
                read += count
                progress.advance(count)
        del buffer[read:]
    # A pipe, or a file that grew while it was read: the rest in chunks.
    # A buffered file's read comes back short only at its end; reading on
    # would wait for a second Ctrl-D on a terminal.
    ends_when_short = isinstance(file, io.BufferedIOBase)
    chunks: list[bytes | bytearray] = [buffer]
    while chunk := file.read(READ_CHUNK_BYTES):
        chunks.append(chunk)
        progress.advance(len(chunk))
        if ends_when_short and len(chunk) < READ_CHUNK_BYTES:
            break
    return buffer if len(chunks) == 1 else b"".join(chunks)
