"""Training a chain once, from files or strings, and saving it to prompt it
as its own model (``markov/NAME``) as often as you like."""

from __future__ import annotations

import codecs
import io
import json
import os
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, TypeAlias

from llm_markov_rs.errors import MarkovError, load_native
from llm_markov_rs.info import SavedChainInfo, read_info
from llm_markov_rs.saved import (
    TRAINED_FROM_SHOWN,
    chain_path,
    chains_folder,
    check_name,
)
from llm_markov_rs.threads import build_threads

#: Text to learn from: a ``str`` is the text itself, a path names a file,
#: and a binary file object (``sys.stdin.buffer``) is read to its end.
Source: TypeAlias = str | os.PathLike[str] | BinaryIO

#: Called as work goes on with ``(stage, done, total)``: ``"reading"`` in
#: bytes (total 0 when unknown, as for a pipe), then ``"splitting"`` in bytes
#: and ``"linking"`` in transitions as the chain is built.
ProgressCallback: TypeAlias = Callable[[str, int, int], None]

#: Files are read this many bytes at a time (then decoded at once).
READ_CHUNK_BYTES = 1 << 22


def train_chain(
    name: str,
    sources: Iterable[Source],
    *,
    order: int = 1,
    tokens: str = "words",
    copy_guard: bool = True,
    encoding: str = "utf-8",
    replace: bool = False,
    progress: ProgressCallback | None = None,
) -> SavedChainInfo:
    """Learn a chain of ``order`` over ``tokens`` (``"words"``, ``"lines"``,
    ``"unicode"`` or ``"chars"``; see ``llm models --options``) from
    ``sources``, in order, and save it as
    ``name`` in llm's user directory, where ``llm.get_model("markov/NAME")``
    finds it.

    With ``copy_guard`` (the default) the file keeps the text as token ids
    and its suffix array, 8 bytes a token, so that prompts can bound how
    much of the text they copy (``max_copy``); without it the file is
    smaller and training faster, and ``max_copy`` on the chain is an error.

    Each source is a ``str`` of text, a path to a file in ``encoding``, or a
    binary file object; their texts are joined by newlines. The file is
    written atomically: an error or Ctrl-C leaves the old chain (or none)
    and no partial file. Raises :class:`MarkovError` when ``name`` is not a
    plain name, when it exists and ``replace`` is false, when a file cannot
    be read or decoded (the message gives the byte offset), when the text
    cannot make a chain of ``order``, or when ``LLM_MARKOV_THREADS`` (the
    threads the build may use) is not a count. ``sources`` is a list (or other
    iterable) of them: a lone ``str`` or path is refused, since it would be
    read one character at a time.
    """
    if isinstance(sources, (str, bytes, os.PathLike)):
        raise MarkovError(
            "sources must be a list of texts, paths or files, not a single "
            f"{type(sources).__name__}; for one source, pass [source]"
        )
    path = chain_path(check_name(name))
    if path.exists() and not replace:
        raise MarkovError(
            f"a chain called '{name}' already exists ({path}); to replace it, "
            "give --force (replace=True in Python), or choose another name"
        )
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise MarkovError(
            f"'{encoding}' is not an encoding Python knows; try utf-8, "
            "latin-1 or cp1252"
        ) from None
    # Checked before the text is read, which may take long.
    threads = build_threads()
    texts, described = read_sources(list(sources), codec, progress)
    text = "\n".join(texts)
    del texts
    native = load_native()
    chain = native.Chain(text, order, progress, tokens, copy_guard, threads)
    del text
    metadata = {
        # The first sources by name, and how many there were: a chain
        # trained on many files keeps small metadata.
        "trained_from": described[:TRAINED_FROM_SHOWN],
        "source_count": len(described),
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "encoding": codec.name,
        "created_by": f"llm-markov-rs {native.__version__}",
    }
    chains_folder().mkdir(parents=True, exist_ok=True)
    chain.save(str(path), json.dumps(metadata, ensure_ascii=False))
    return read_info(name)


def read_sources(
    sources: list[Source],
    codec: codecs.CodecInfo,
    progress: ProgressCallback | None,
) -> tuple[list[str], list[str]]:
    """The text of each source, and how each is described in the chain's
    metadata."""
    sizes = [_size(source) for source in sources]
    total = 0 if None in sizes else sum(size or 0 for size in sizes)
    done = 0
    texts = []
    described = []
    for source, size in zip(sources, sizes, strict=True):
        if isinstance(source, str):
            texts.append(source)
            described.append("<text>")
            continue
        if isinstance(source, os.PathLike):
            display = os.fspath(source)
            try:
                with open(source, "rb") as file:
                    text = _decode(file, display, codec, progress, done, total)
            except OSError as error:
                reason = error.strerror or str(error)
                raise MarkovError(f"cannot read {display}: {reason}") from None
        else:
            # A file object's name; sys.stdin.buffer's is "<stdin>", and an
            # open file descriptor's a number.
            name = getattr(source, "name", None)
            display = name if isinstance(name, str) else "<stdin>"
            text = _decode(source, display, codec, progress, done, total)
        done += size or 0
        texts.append(text)
        described.append(display)
    return texts, described


def _size(source: Source) -> int | None:
    if isinstance(source, str):
        return 0
    if isinstance(source, os.PathLike):
        try:
            return Path(source).stat().st_size
        except OSError:
            return 0  # reading it will say what is wrong
    return None


def _decode(
    file: BinaryIO,
    display: str,
    codec: codecs.CodecInfo,
    progress: ProgressCallback | None,
    done_before: int,
    total: int,
) -> str:
    """The whole of ``file``, decoded, or a MarkovError that gives the byte
    offset of the first undecodable byte and suggests ``--encoding``.

    The bytes are read in chunks (reporting progress), into one buffer when
    the file's size is known, then decoded in one call: several times
    faster than decoding chunk by chunk.
    """
    data = _read_all(file, progress, done_before, total)
    try:
        return codec.decode(data, "strict")[0]
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        raise MarkovError(
            f"{display} is not valid {codec.name} text: byte {error.start} "
            f"(0x{bad}) cannot be decoded; give its encoding with "
            "--encoding (encoding= in Python), for example --encoding "
            "latin-1"
        ) from None


def _read_all(
    file: BinaryIO, progress: ProgressCallback | None, done_before: int, total: int
) -> bytes | bytearray:
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
                if progress is not None:
                    progress("reading", done_before + read, total)
        del buffer[read:]
    # A pipe, or a file that grew while it was read: the rest in chunks.
    # A buffered file's read comes back short only at its end; reading on
    # would wait for a second Ctrl-D on a terminal.
    ends_when_short = isinstance(file, io.BufferedIOBase)
    chunks: list[bytes | bytearray] = [buffer]
    while chunk := file.read(READ_CHUNK_BYTES):
        chunks.append(chunk)
        read += len(chunk)
        if progress is not None:
            progress("reading", done_before + read, total)
        if ends_when_short and len(chunk) < READ_CHUNK_BYTES:
            break
    return buffer if len(chunks) == 1 else b"".join(chunks)
