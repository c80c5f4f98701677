"""Reading training text: each source is a document, read whole or in
pieces cut where a chain may cut its text.

A piece ends right after a line feed that a character other than
whitespace follows: every token mode cuts a text there the same way as it
cuts the whole, so the pieces' tokens are the document's. UTF-8 files are
passed to the build as their bytes, which it checks, with no decoded copy.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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

#: A whole file is read this many bytes at a time, reporting progress.
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


@dataclass(frozen=True)
class Piece:
    """A piece of a document's text: a ``str``, or the UTF-8 bytes of a
    file as read."""

    text: str | bytes
    #: How much of ``text`` is the piece: all of a ``str``; the first
    #: ``end`` of ``bytes`` (the rest is read again for the next piece).
    end: int
    #: Whether the document ends with this piece.
    is_last: bool
    #: How the document's source is named in errors.
    source: str
    #: Where the piece starts in its file, in bytes.
    offset: int = 0

    def decode_error(self, at: int) -> MarkovError:
        """The error for the byte at ``at`` in the piece, which is not
        UTF-8."""
        byte = bytes(self.text[at : at + 1]) if isinstance(self.text, bytes) else b""
        return not_decodable(self.source, "utf-8", self.offset + at, byte)

    def tail(self, span: int) -> tuple[str, bool]:
        """The piece's text from a line start about ``span`` characters (or
        bytes) before its end, and whether that is the piece's start."""
        text, end = self.text, self.end
        if isinstance(text, str):
            start = text.rfind("\n", 0, max(0, end - span)) + 1
            return text[start:end], start == 0
        start = text.rfind(b"\n", 0, max(0, end - span)) + 1
        try:
            return text[start:end].decode("utf-8"), start == 0
        except UnicodeDecodeError as error:
            raise self.decode_error(start + error.start) from None

    def has_words(self) -> bool:
        """Whether the piece holds more than whitespace."""
        # Its start nearly always says, without a copy of the whole.
        start = self.text[: min(self.end, 1 << 16)]
        if start and not start.isspace():
            return True
        return self.end > len(start) and not self.text[: self.end].isspace()


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
    display: str | None = None,
) -> Iterator[Piece]:
    """The text of ``source`` (called ``display`` in errors, by default
    as :func:`describe` names it): whole when ``piece_bytes`` is None, else in
    pieces of about that many bytes, each but the last ending where a chain
    may cut its text. A MarkovError says which file cannot be read or
    decoded, and where; the bytes of a UTF-8 file are checked by the build
    (``Piece.decode_error`` then says where)."""
    display = display or describe(source)
    if isinstance(source, str):
        yield Piece(source, len(source), True, display)
        return
    pieces = _utf8_pieces if codec.name == "utf-8" else _decoded_pieces
    if not isinstance(source, os.PathLike):
        yield from pieces(source, display, codec, progress, piece_bytes)
        return
    try:
        with open(source, "rb") as file:
            yield from pieces(file, display, codec, progress, piece_bytes)
    except OSError as error:
        reason = error.strerror or str(error)
        raise MarkovError(f"cannot read {display}: {reason}") from None


def read_ahead(pieces: Iterator[Piece]) -> Iterator[Piece]:
    """``pieces``, each after the first read on a thread of its own while
    the caller works on the one before: reading a piece overlaps building
    the last, which releases the GIL. The first is read here, since
    nothing comes before it to overlap, and a document of one piece
    starts no thread: a training of 20,000 small files spent two thirds
    of its time starting and joining them."""
    first = next(pieces, None)
    if first is None:
        return
    if first.is_last:
        yield first
        return
    with ThreadPoolExecutor(max_workers=1) as reader:
        coming = reader.submit(next, pieces, None)
        # Held in a list and popped, so that this frame lets go of a
        # piece as soon as it is given: its text is freed once the
        # caller is done with it, not when the next piece comes.
        held = [first]
        del first
        yield held.pop()
        while True:
            piece = coming.result()
            if piece is None:
                return
            held = [piece]
            del piece
            coming = reader.submit(next, pieces, None)
            yield held.pop()


def may_cut_at(text: str | bytes, at: int) -> bool:
    """Whether a document may be cut into pieces at ``at`` of ``text`` (a
    str, or UTF-8 bytes): after a line feed, before a character other than
    whitespace. A chain built in pieces is then the whole text's
    (``Corpus::from_piece`` in the core says why); this is the rule's one
    home in Python."""
    if not 0 < at < len(text):
        return False
    if isinstance(text, str):
        return text[at - 1] == "\n" and not text[at].isspace()
    first = text[at : at + 4].decode("utf-8", "replace")[:1]
    return text[at - 1] == ord("\n") and not first.isspace()


def last_cut(text: str | bytes, before: int) -> int:
    """The last place at or before ``before`` where ``text`` may be cut
    (:func:`may_cut_at`), or 0 when there is none."""

    def line_feed_before(at: int) -> int:
        if isinstance(text, str):
            return text.rfind("\n", 0, at)
        return text.rfind(b"\n", 0, at)

    at = before
    while (found := line_feed_before(at)) >= 0:
        if may_cut_at(text, found + 1) and found + 1 <= before:
            return found + 1
        at = found
    return 0


def first_cut(text: str) -> int:
    """The first place in ``text`` where it may be cut (:func:`may_cut_at`),
    counting its start when it starts with a character other than
    whitespace, or its end when there is none."""
    if text[:1] and not text[:1].isspace():
        return 0
    at = text.find("\n")
    while at >= 0:
        if may_cut_at(text, at + 1):
            return at + 1
        at = text.find("\n", at + 1)
    return len(text)


def not_decodable(source: str, encoding: str, at: int, byte: bytes) -> MarkovError:
    """The error for a source whose byte at ``at`` is not ``encoding``."""
    return MarkovError(
        f"{source} is not valid {encoding} text: byte {at} (0x{byte.hex()}) "
        "cannot be decoded; give its encoding with --encoding (encoding= in "
        "Python), for example --encoding latin-1"
    )


def _utf8_pieces(
    file: BinaryIO,
    display: str,
    codec: codecs.CodecInfo,
    progress: ReadProgress,
    piece_bytes: int | None,
) -> Iterator[Piece]:
    if piece_bytes is None:
        data = _read_all(file, progress)
        whole = bytes(data) if isinstance(data, bytearray) else data
        del data
        yield Piece(whole, len(whole), True, display)
        return
    try:
        seekable = file.seekable()
    except (AttributeError, ValueError, OSError):
        seekable = False
    offset = 0
    rest = b""
    wanted = piece_bytes
    while True:
        chunk, ended = _read_up_to(file, wanted - len(rest))
        data = rest + chunk if rest else chunk
        del chunk
        if ended:
            progress.advance(len(data))
            yield Piece(data, len(data), True, display, offset)
            return
        cut = last_cut(data, len(data))
        if cut == 0:
            # No place to cut yet (one very long line): read on.
            rest, wanted = data, len(data) + piece_bytes
            continue
        if seekable:
            # The rest is read again with the next piece: no copy of it.
            file.seek(cut - len(data), io.SEEK_CUR)
            rest = b""
        else:
            rest = data[cut:]
        wanted = piece_bytes
        progress.advance(cut)
        yield Piece(data, cut, False, display, offset)
        offset += cut


def _decoded_pieces(
    file: BinaryIO,
    display: str,
    codec: codecs.CodecInfo,
    progress: ReadProgress,
    piece_bytes: int | None,
) -> Iterator[Piece]:
    def decode(data: bytes | bytearray, final: bool, read_before: int) -> str:
        return _decode(codec, decoder, data, final, read_before, display)

    decoder = codec.incrementaldecoder("strict")
    if piece_bytes is None:
        # Decoded in one call: several times faster than chunk by chunk.
        text = decode(_read_all(file, progress), True, 0)
        yield Piece(text, len(text), True, display)
        return
    read_before = 0
    rest = ""
    ended = False
    while not ended:
        data, ended = _read_up_to(file, piece_bytes)
        progress.advance(len(data))
        text = rest + decode(data, ended, read_before)
        read_before += len(data)
        cut = len(text) if ended else last_cut(text, len(text))
        if cut == 0:
            # No place to cut yet (one very long line): read on.
            rest = text
            continue
        rest = text[cut:]
        piece = text[:cut]
        yield Piece(piece, len(piece), ended, display)


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
        bad = (bytes(held) + bytes(data))[error.start : error.start + 1]
        raise not_decodable(display, codec.name, at, bad) from None
    except UnicodeError as error:
        # Not about one byte: utf-16 without a byte order mark says "UTF-16
        # stream does not start with BOM".
        example = (
            "utf-16-le or utf-16-be for UTF-16 without a byte order mark"
            if codec.name.startswith("utf-16")
            else "utf-8"
        )
        raise MarkovError(
            f"{display} cannot be read as {codec.name} text ({error}); give its "
            f"encoding with --encoding (encoding= in Python), for example "
            f"--encoding {example}"
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


def _read_up_to(file: BinaryIO, count: int) -> tuple[bytes, bool]:
    """Up to ``count`` bytes of ``file``, in one ``bytes``, and whether it
    has ended."""
    # A buffered file's read returns all it is asked for, short only at
    # its end; reading on would wait for a second Ctrl-D on a terminal.
    if isinstance(file, io.BufferedIOBase):
        data = file.read(count)
        return data, len(data) < count
    chunks: list[bytes] = []
    wanted = count
    while wanted > 0:
        chunk = file.read(wanted)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        wanted -= len(chunk)
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
