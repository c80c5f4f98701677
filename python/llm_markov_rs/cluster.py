"""Training on a Dask cluster, where the text is: each worker trains the
chains of its files (any URL fsspec opens: ``s3://``, ``gs://``,
``hdfs://``, or paths the workers see), the chains are merged in a tree on
the workers, and the result is saved here as any trained chain is.

Dask's ``distributed`` and ``fsspec`` are the optional extra
``llm-markov-rs[dask]``, imported only when this runs.
"""

from __future__ import annotations

import codecs
import logging
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from llm_markov_rs.errors import MarkovError, load_native
from llm_markov_rs.locking import writing_chain
from llm_markov_rs.reading import ProgressCallback, ReadProgress, read_document
from llm_markov_rs.train import PIECE_BYTES, Documents, plan_training

if TYPE_CHECKING:
    from distributed import Client, Future

    from llm_markov_rs._markov import Chain
    from llm_markov_rs.info import SavedChainInfo

#: How long to wait for a scheduler to answer.
CONNECT_SECONDS = 10

#: How many chains each merge on the cluster takes: the tree of merges is
#: this wide, and as deep as its logarithm of the files.
MERGE_FAN_IN = 8

#: What to install to train on Dask.
INSTALL_HINT = (
    "training on Dask needs Dask's distributed and fsspec: install them into "
    "llm's environment with llm install 'distributed>=2024.1' 'fsspec>=2024.1' "
    "(the plugin's dask extra names the same: llm install -e '.[dask]' from "
    "a clone)"
)

#: A document's chain (None when it has too few tokens for one state), and
#: whether its text held more than whitespace.
Trained = tuple["Chain | None", bool]


@contextmanager
def connect(scheduler: str) -> Iterator[Client]:
    """A client of the Dask scheduler at ``scheduler`` (an address such as
    ``tcp://host:8786``), or of a cluster started on this machine for
    ``"local"``; closed on leaving."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise MarkovError(INSTALL_HINT) from None
    if scheduler == "local":
        # The cluster's scheduler, nannies and workers each make their
        # `dask-scratch-space`, with lock files that Dask leaves behind, in
        # a folder of its own, inside Dask's `temporary-directory` if set,
        # removed with all in it on leaving.
        with (
            tempfile.TemporaryDirectory(
                prefix="llm-markov-dask-",
                dir=dask.config.get("temporary-directory", None),
                ignore_cleanup_errors=True,
            ) as scratch,
            dask.config.set({"temporary-directory": scratch}),
        ):
            # Its workers' logs would print a task's error a second time,
            # with its traceback; it comes back here as the one error. No
            # dashboard, as nothing would say where it is (a cluster started
            # apart has one), and the scheduler's HTTP server on any free
            # port: on 8787, taken, it prints a warning.
            local = LocalCluster(
                processes=True,
                silence_logs=logging.CRITICAL,
                dashboard_address=None,
                scheduler_kwargs={"dashboard_address": ":0"},
            )
            with local as cluster, Client(cluster) as client:
                yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as error:
        raise MarkovError(
            f"cannot reach the Dask scheduler at {scheduler} ({error}); give its "
            "address (tcp://HOST:8786), or 'local' for a cluster on this machine"
        ) from None
    with client:
        yield client


def train_on_dask(
    name: str,
    urls: Iterable[str],
    client: Client,
    *,
    order: int | None = None,
    tokens: str | None = None,
    copy_guard: bool | None = None,
    encoding: str = "utf-8",
    replace: bool = False,
    add: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
) -> SavedChainInfo:
    """Train the chain of the files at ``urls`` on the Dask cluster of
    ``client`` (a ``distributed.Client``), and save it here as ``name``.

    The chain is the one :func:`train_chain` makes of the same files, in
    the same order: each file is its own document. ``urls`` are whatever
    ``fsspec.open`` opens on the workers, with ``storage_options`` (for
    example credentials); the workers need llm-markov-rs installed.
    The other arguments are :func:`train_chain`'s. ``progress`` is called
    with ``("training", files done, files)``, then ``("merging", merges
    done, merges)``.

    Raises :class:`MarkovError` as :func:`train_chain` does, naming the
    URL that cannot be read or decoded.
    """
    if isinstance(urls, str):
        raise MarkovError("urls must be a list of URLs; for one, pass [url]")
    try:
        from distributed import as_completed
    except ImportError:
        raise MarkovError(INSTALL_HINT) from None
    urls = list(urls)
    with writing_chain(name):
        plan = plan_training(
            name,
            order=order,
            tokens=tokens,
            copy_guard=copy_guard,
            encoding=encoding,
            replace=replace,
            add=add,
        )
        options = dict(storage_options or {})
        level: list[Future[Trained]] = [
            client.submit(
                train_document,
                url,
                plan.order,
                plan.tokens,
                plan.copy_guard,
                plan.codec.name,
                PIECE_BYTES,
                options,
                pure=False,
            )
            for url in urls
        ]
        for done, future in enumerate(as_completed(level), start=1):
            if future.status == "error":
                future.result()  # raises the worker's error here
            if progress is not None:
                progress("training", done, len(urls))
        merges = _merge_count(len(level))
        merged = 0
        while len(level) > 1:
            level = [
                client.submit(merge_trained, *level[start : start + MERGE_FAN_IN])
                for start in range(0, len(level), MERGE_FAN_IN)
            ]
            for future in as_completed(level):
                if future.status == "error":
                    future.result()
                merged += 1
                if progress is not None:
                    progress("merging", merged, merges)
        chain, has_words = level[0].result() if level else (None, False)
        if chain is None:
            raise plan.too_short(has_words)
        return plan.save(plan.added_to_base(chain, progress), urls, progress)


def train_document(
    url: str,
    order: int,
    tokens: str,
    copy_guard: bool,
    encoding: str,
    piece_bytes: int | None,
    storage_options: dict[str, Any],
) -> Trained:
    """On a worker: the chain of the file at ``url``, its own document."""
    import fsspec

    documents = Documents(
        order=order,
        tokens=tokens,
        copy_index=copy_guard,
        threads=None,
    )
    codec = codecs.lookup(encoding)
    try:
        with fsspec.open(url, "rb", **storage_options) as file:
            pieces = read_document(
                file, codec, ReadProgress(None, "", 0), piece_bytes, display=url
            )
            documents.add(pieces)
    except (OSError, ValueError) as error:
        if isinstance(error, MarkovError):
            raise
        raise MarkovError(f"cannot read {url}: {error}") from None
    # Sorted here, in place, since sending it sorts it anyway.
    return documents.finish(), documents.has_words


def merge_trained(*trained: Trained) -> Trained:
    """On a worker: the chains of documents, merged in order."""
    chains = [(chain, 1) for chain, _ in trained if chain is not None]
    has_words = any(words for _, words in trained)
    if len(chains) <= 1:
        return (chains[0][0] if chains else None), has_words
    return load_native().Chain.merge(chains), has_words


def _merge_count(files: int) -> int:
    """How many merges the tree over ``files`` chains makes."""
    count = 0
    while files > 1:
        files = -(-files // MERGE_FAN_IN)
        count += files
    return count
