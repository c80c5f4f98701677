"""The ``llm markov`` commands: train, merge, list, info, remove and path.

The group that llm registers on every start (:mod:`llm_markov_rs.command_group`)
imports this module only when one of them is run or listed; the native
extension loads when a command runs.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from llm_markov_rs.errors import MarkovError, load_native
from llm_markov_rs.saved import (
    NAME_RULE,
    chain_path,
    chains_folder,
    load_saved,
    missing_chain,
    scan_chain_files,
)
from llm_markov_rs.token_modes import TOKENS_HELP

if TYPE_CHECKING:
    from llm_markov_rs.info import SavedChainInfo

Result = TypeVar("Result")


def run_or_fail(work: Callable[[], Result]) -> Result:
    """Runs ``work``; a MarkovError becomes llm's usual one-line ``Error:``."""
    try:
        return work()
    except MarkovError as error:
        raise click.ClickException(str(error)) from None


@click.command()
@click.argument("name")
@click.argument("files", nargs=-1)
@click.option(
    "--order",
    type=int,
    help="How many previous words the next word depends on.  [default: 1]",
)
@click.option(
    "--tokens",
    metavar="MODE",
    help="What the chain is made of. " + TOKENS_HELP + ".  [default: words]",
)
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help="The encoding of the files (and of standard input).",
)
@click.option(
    "--no-copy-guard",
    "no_copy_guard",
    is_flag=True,
    help=(
        "Leave out the copy guard's index (about 5 bytes a word of the text): a "
        "smaller file and a faster train, but no max_copy, and sentences "
        "unguarded."
    ),
)
@click.option("--force", is_flag=True, help="Replace a saved chain of that name.")
@click.option(
    "--add",
    is_flag=True,
    help=(
        "Add FILES to the saved chain NAME, keeping its order, tokens and copy guard."
    ),
)
@click.option(
    "--dask",
    "scheduler",
    metavar="SCHEDULER",
    help=(
        "Train on the Dask cluster at SCHEDULER (tcp://HOST:8786, or 'local' "
        "for one on this machine): FILES are then URLs that the workers open "
        "with fsspec (s3://, gs://, hdfs://, or paths they see). Needs "
        "Dask's distributed and fsspec (the dask extra)."
    ),
)
def train(
    name: str,
    files: tuple[str, ...],
    order: int | None,
    tokens: str | None,
    encoding: str,
    no_copy_guard: bool,
    force: bool,
    add: bool,
    scheduler: str | None,
) -> None:
    """Learn a chain from FILES (or '-', or nothing: standard input), each
    its own document, and save it as NAME: then prompt it with
    llm -m markov/NAME "words to continue".

    Without the copy guard, text is read in pieces of 64 MiB, so memory
    stays bounded whatever its size. The build runs on every core; set
    LLM_MARKOV_THREADS=N to use at most N threads (the chain is the
    same)."""
    from llm_markov_rs.options import order_error
    from llm_markov_rs.train import Source, train_chain

    def train_it() -> SavedChainInfo:
        if order is not None and (error := order_error(order, "--order")):
            raise MarkovError(error)
        options: dict[str, Any] = {
            "order": order,
            "tokens": tokens,
            # With --add, the chain's own unless told otherwise.
            "copy_guard": False if no_copy_guard else (None if add else True),
            "encoding": encoding,
            "replace": force,
            "add": add,
        }
        if scheduler is not None:
            return train_on_cluster(name, files, scheduler, **options)
        sources: list[Source] = [
            sys.stdin.buffer if file == "-" else Path(file) for file in files or ("-",)
        ]
        if (not files or "-" in files) and sys.stdin.isatty():
            # Otherwise a user who forgot the file name sees nothing happen.
            click.echo("Reading standard input (Ctrl-D to end)", err=True)
        with terminal_progress(sys.stderr) as progress:
            return train_chain(name, sources, progress=progress, **options)

    info = run_or_fail(train_it)
    report_saved(info)


def train_on_cluster(
    name: str, urls: tuple[str, ...], scheduler: str, **options: Any
) -> SavedChainInfo:
    """``llm markov train --dask``: train the files at ``urls`` on the Dask
    cluster at ``scheduler``."""
    from llm_markov_rs.cluster import connect, train_on_dask

    if not urls or "-" in urls:
        raise MarkovError(
            "--dask trains files the workers open: give their URLs, not standard input"
        )
    with connect(scheduler) as client, terminal_progress(sys.stderr) as progress:
        return train_on_dask(name, list(urls), client, progress=progress, **options)


def report_saved(info: SavedChainInfo) -> None:
    """Says what was saved, and how to prompt it."""
    # "words" for the default mode, as before; the mode's name otherwise.
    mode, unit = (
        ("", "words") if info.tokens == "words" else (f" ({info.tokens})", "tokens")
    )
    click.echo(
        f"Saved chain '{info.name}'{mode}: order {info.order}, "
        f"{info.token_count:,} {unit}, {info.vocabulary_size:,} distinct, "
        f"{human_size(info.file_size)}, "
        f"in {info.path}"
    )
    click.echo(f'Prompt it with: llm -m markov/{info.name} "words to continue"')
    if info.copy_index_bytes:
        share = info.copy_index_bytes / info.file_size
        click.echo(
            f"The copy guard's index is {human_size(info.copy_index_bytes)} of it "
            f"({share:.0%}): it lets prompts bound how much of the text they copy "
            "(max_copy); --no-copy-guard leaves it out."
        )


@click.command()
@click.argument("name")
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "weights",
    "--weight",
    metavar="SOURCE=K",
    multiple=True,
    help="Count SOURCE's transitions K times (a whole number); may be repeated.",
)
@click.option("--force", is_flag=True, help="Replace a saved chain of that name.")
def merge(
    name: str, sources: tuple[str, ...], weights: tuple[str, ...], force: bool
) -> None:
    """Merge the chains SOURCES (saved chain names, or paths of chain files)
    into a new saved chain NAME: the chain of all their texts, each its own
    document, the same as training on those texts. They must have the same
    order and tokens. The copy guard's index is merged when every source
    has one; otherwise the result has none, and this says so."""
    from llm_markov_rs.merge import MAX_WEIGHT, any_copy_guard, merge_chains

    def merge_them() -> SavedChainInfo:
        parsed: dict[str, int] = {}
        for weight in weights:
            source, equals, count = weight.rpartition("=")
            # ASCII digits only: str.isdigit() also takes "²", which int()
            # refuses, and int() reads "١٢" as 12.
            count = count.strip()
            if not equals or not (count.isascii() and count.isdigit()):
                raise MarkovError(
                    f"--weight takes SOURCE=K with K a whole number from 1 to "
                    f"{MAX_WEIGHT:,}, not '{weight}'"
                )
            parsed[source] = int(count)
        with terminal_progress(sys.stderr) as progress:
            return merge_chains(
                name, list(sources), weights=parsed, replace=force, progress=progress
            )

    info = run_or_fail(merge_them)
    report_saved(info)
    if not info.copy_guard and any_copy_guard(sources):
        click.echo(
            "Note: not every source keeps the copy guard's index, so the merged "
            "chain has none: max_copy on it is an error.",
            err=True,
        )


@click.command(name="list")
@click.option("json_", "--json", is_flag=True, help="Output as JSON.")
def list_chains(json_: bool) -> None:
    """List the saved chains: name, order, words learned, distinct words,
    file size, what each was trained from, and when."""
    from llm_markov_rs.info import SavedChainInfo, read_info

    names, misnamed = run_or_fail(scan_chain_files)
    listed: list[SavedChainInfo | tuple[str, str]] = []
    for name in names:
        try:
            listed.append(read_info(name))
        except MarkovError as error:
            listed.append((name, str(error)))
    if json_:
        click.echo(
            json.dumps(
                [
                    entry.as_json()
                    if isinstance(entry, SavedChainInfo)
                    else {"name": entry[0], "error": entry[1]}
                    for entry in listed
                ],
                indent=2,
            )
        )
    elif not listed:
        click.echo(f"No saved chains in {chains_folder()}", err=True)
    else:
        rows: list[tuple[str, ...]] = [
            (
                "name",
                "tokens",
                "order",
                "tokens learned",
                "distinct",
                "size",
                "trained from",
                "when",
            )
        ]
        for entry in listed:
            if isinstance(entry, SavedChainInfo):
                rows.append(
                    (
                        entry.name,
                        entry.tokens,
                        str(entry.order),
                        f"{entry.token_count:,}",
                        f"{entry.vocabulary_size:,}",
                        human_size(entry.file_size),
                        entry.describe_sources(),
                        entry.trained_at or "?",
                    )
                )
            else:
                unreadable = f"unreadable: see llm markov info {entry[0]}"
                rows.append((entry[0], "-", "-", "-", "-", "-", unreadable, "-"))
        click.echo(table(rows))
    for file_name in misnamed:
        click.echo(
            f"Warning: {file_name} in {chains_folder()} is not listed: its name "
            f"is not a chain name, so no model uses it; rename it to {NAME_RULE}, "
            "followed by .markov",
            err=True,
        )


@click.command()
@click.argument("name")
@click.option("json_", "--json", is_flag=True, help="Output as JSON.")
def info(name: str, json_: bool) -> None:
    """Show what the saved chain NAME holds, after checking its whole file."""

    from llm_markov_rs.info import read_info

    def describe() -> dict[str, Any]:
        saved = read_info(name)
        # Every byte of the file, not just its header, and the copy
        # index's order and the plan for sentences, which a prompt's load
        # takes as they are: seconds for a large chain, so with a bar on a
        # terminal.
        with terminal_progress(sys.stderr) as progress:
            load_saved(name, whole=True, plan=True, progress=progress)
        return {
            **saved.as_json(),
            "format_version": int(load_native().FORMAT_VERSION),
        }

    described = run_or_fail(describe)
    if json_:
        click.echo(json.dumps(described, indent=2))
        return
    for key, value in described.items():
        click.echo(f"{key}: {show_value(value)}")


def show_value(value: object) -> str:
    """A field of ``info`` as text: numbers grouped by thousands, as
    ``list`` shows them, and lists joined by commas."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


@click.command()
@click.argument("name")
def remove(name: str) -> None:
    """Delete the saved chain NAME (its model markov/NAME goes with it)."""

    def delete() -> Path:
        path = chain_path(name)
        try:
            path.unlink()
        except FileNotFoundError:
            raise missing_chain(name) from None
        except OSError as error:
            raise MarkovError(f"cannot remove {path}: {error.strerror}") from None
        return path

    path = run_or_fail(delete)
    click.echo(f"Removed chain '{name}' ({path})")


@click.command()
def path() -> None:
    """Print the folder where saved chains are kept."""
    click.echo(chains_folder())


def human_size(size: int) -> str:
    """``size`` bytes in the largest unit that keeps it at least 1."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as left-aligned columns, two spaces apart."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    )


#: What each stage of training is called on the progress bar.
STAGE_LABELS = {
    "reading": "reading",
    "splitting": "splitting into words",
    "linking": "linking the chain",
    "indexing": "indexing for the copy guard",
    # info and merge check a copy index whole before they use it.
    "checking": "checking the copy index",
    "training": "training",
    "merging": "merging chains",
    # Saving keeps the plan for sentences, found by one backward pass.
    "planning": "planning sentences",
    "saving": "saving",
    # A long text's copy index is sorted a window at a time as it is saved.
    "indexing and saving": "indexing and saving",
}


class TerminalProgress:
    """Draws one progress bar per stage on a terminal, at most ten times a
    second, each on its own line once done."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.stage: str | None = None
        self.drawn_at = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.stage:
            self.finish()
            self.stage = stage
        elif now - self.drawn_at < 0.1 and done < total:
            return
        self.drawn_at = now
        label = STAGE_LABELS.get(stage, stage).ljust(27)
        if total:
            filled = round(30 * done / total)
            bar = "#" * filled + "-" * (30 - filled)
            line = f"{label} [{bar}] {100 * done / total:3.0f}%"
        elif done:
            line = f"{label} {human_size(done)}"
        else:
            # A stage with nothing to count (the copy index's sort).
            line = f"{label} ..."
        self.stream.write(f"\r{line}")
        self.stream.flush()

    def finish(self) -> None:
        """Ends the current bar's line."""
        if self.stage is not None:
            self.stream.write("\n")
            self.stream.flush()
            self.stage = None


@contextmanager
def terminal_progress(stream: TextIO) -> Iterator[TerminalProgress | None]:
    """A progress bar on ``stream`` when it is a terminal, else None."""
    if not stream.isatty():
        yield None
        return
    progress = TerminalProgress(stream)
    try:
        yield progress
    finally:
        progress.finish()


#: The ``llm markov`` commands by name, for the group that runs them.
COMMANDS: dict[str, click.Command] = {
    "info": info,
    "list": list_chains,
    "merge": merge,
    "path": path,
    "remove": remove,
    "train": train,
}
