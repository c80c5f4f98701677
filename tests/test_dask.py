"""Training on a Dask cluster (``llm markov train --dask``,
``train_on_dask``): a local cluster of two worker processes trains the
files, merges their chains in a tree, and the saved chain is the one
training here makes of the same files."""

from __future__ import annotations

import logging
import sys

import dask
import llm_markov_rs.cluster
import pytest
from distributed import Client, LocalCluster
from llm_markov_rs import train_chain, train_on_dask
from llm_markov_rs._markov import Chain
from llm_markov_rs.saved import chain_path

from helpers import printed_by_python


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A client of a cluster of two worker processes on this machine, its
    scratch space in a temporary folder of the tests'."""
    scratch = str(tmp_path_factory.mktemp("dask"))
    with (
        dask.config.set({"temporary-directory": scratch}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            silence_logs=logging.CRITICAL,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture
def files(tmp_path, sherlock):
    """The novel excerpt in eight files, cut at line starts."""
    lines = sherlock.splitlines(keepends=True)
    size = len(lines) // 8 + 1
    paths = []
    for index in range(8):
        path = tmp_path / f"part{index}.txt"
        path.write_text("".join(lines[index * size : (index + 1) * size]), "utf-8")
        paths.append(path)
    return paths


def chain_bytes(name: str) -> bytes:
    return Chain.load(chain_path(name))[0].to_bytes()


@pytest.mark.parametrize("copy_guard", [True, False])
def test_training_on_the_cluster_is_training_here(client, files, copy_guard):
    # The bugs: a tree of merges that lost a file or changed their order,
    # a worker that read a file differently, a chain that did not survive
    # the trip between processes.
    urls = [str(path) for path in files]
    urls[3] = files[3].as_uri()  # a file:// URL as fsspec opens it
    seen = []
    info = train_on_dask(
        "clustered",
        urls,
        client,
        order=2,
        copy_guard=copy_guard,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    train_chain("here", files, order=2, copy_guard=copy_guard)
    assert chain_bytes("clustered") == chain_bytes("here")
    assert info.source_count == 8
    assert info.copy_guard is copy_guard
    assert ("training", 8, 8) in seen
    assert ("merging", 1, 1) in seen


def test_the_cli_trains_on_a_scheduler(llm_cli, client, files):
    address = client.scheduler.address
    result = llm_cli(
        "markov", "train", "clustered", *map(str, files), "--dask", address
    )
    assert result.exit_code == 0, result.output
    assert "Saved chain 'clustered'" in result.output
    train_chain("here", files)
    assert chain_bytes("clustered") == chain_bytes("here")


def test_a_local_cluster_trains_and_leaves_no_scratch_space(
    llm_cli, files, tmp_path, client, recwarn
):
    # The bugs: `--dask local` left Dask's dask-scratch-space, lock files
    # and all, in the temporary folder after every training; and with
    # another cluster running (`client`'s holds port 8787), it warned that
    # the port was in use.
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    with dask.config.set({"temporary-directory": str(temporary)}):
        result = llm_cli(
            "markov", "train", "local", *map(str, files), "--dask", "local"
        )
    assert result.exit_code == 0, result.output
    train_chain("here", files)
    assert chain_bytes("local") == chain_bytes("here")
    assert list(temporary.iterdir()) == []
    assert not [w for w in recwarn if "already in use" in str(w.message)]


def test_a_file_the_workers_cannot_read_is_one_error(llm_cli, client, files):
    address = client.scheduler.address
    missing = str(files[0].parent / "missing.txt")
    result = llm_cli("markov", "train", "x", str(files[0]), missing, "--dask", address)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot read {missing}")
    assert len(result.output.strip().splitlines()) == 1
    assert not chain_path("x").exists()


def test_an_unreachable_scheduler_is_one_error(llm_cli, files, monkeypatch):
    monkeypatch.setattr(llm_markov_rs.cluster, "CONNECT_SECONDS", 1)
    result = llm_cli(
        "markov", "train", "x", str(files[0]), "--dask", "tcp://127.0.0.1:9"
    )
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output


def test_without_dask_the_error_says_what_to_install(llm_cli, files, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = llm_cli("markov", "train", "x", str(files[0]), "--dask", "local")
    assert result.exit_code == 1
    # The bug: it named llm-markov-rs[dask], which nothing can install
    # before the package is published.
    assert "llm install 'distributed>=2024.1' 'fsspec>=2024.1'" in result.output
    assert "llm-markov-rs[dask]" not in result.output


def test_the_plugin_imports_without_loading_dask():
    # llm imports the plugin on every command: Dask must wait for --dask.
    code = (
        "import sys, llm, llm_markov_rs.commands, llm_markov_rs.train;"
        "heavy = ('distributed', 'dask', 'fsspec');"
        "print(sorted(name for name in heavy if name in sys.modules))"
    )
    output = printed_by_python(code)
    assert output.strip() == "[]"
