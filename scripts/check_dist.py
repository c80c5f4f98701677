"""Checks what ships: builds the release wheel and the sdist, inspects them,
then installs each in turn (and the source tree with ``llm install -e .``)
into a fresh virtual environment next to a fresh llm, runs a prompt there,
and uninstalls. Run by ``scripts/check``; runs alone as ``python
scripts/check_dist.py`` from the development environment."""

from __future__ import annotations

import configparser
import email.message
import email.parser
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "target" / "dist-check"
#: 307 KB before the segmentation data of the unicode and chars tokens,
#: which may add at most 3 MB (2.4 MB in the Linux x86_64 wheel).
MAX_WHEEL_BYTES = 3_300_000
PROMPT = "the cat sat on the mat and the dog sat on the cat"

#: Everything an sdist may hold: what a build needs, and nothing else.
SDIST_ALLOWED = (
    "PKG-INFO",
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "LICENSE",
    "LICENSE-Unicode",
    "src/",
    "crates/map-large/Cargo.toml",
    "crates/map-large/src/",
    "python/llm_markov_rs/",
)


def run(
    *command: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> str:
    """Run a command, echo it, fail loudly, and return its stdout."""
    return run_both(*command, cwd=cwd, env=env, input=input)[0]


def run_both(
    *command: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> tuple[str, str]:
    """Run a command, echo it, fail loudly, and return its stdout and
    stderr."""
    print("+", " ".join(str(part) for part in command), flush=True)
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        input=input,
    )
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout, result.stderr


def crate_version() -> str:
    """The one version: the crate's, which maturin gives the Python package."""
    manifest = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    match = re.search(r'^version = "([^"]+)"', manifest, re.MULTILINE)
    assert match, "no version in Cargo.toml"
    return match.group(1)


def build() -> tuple[Path, Path]:
    shutil.rmtree(DIST, ignore_errors=True)
    run("maturin", "build", "--release", "--locked", "--out", DIST, cwd=ROOT)
    run("maturin", "sdist", "--out", DIST, cwd=ROOT)
    (wheel,) = DIST.glob("*.whl")
    (sdist,) = DIST.glob("*.tar.gz")
    return wheel, sdist


def check_wheel(wheel: Path, version: str) -> None:
    size = wheel.stat().st_size
    print(f"wheel: {wheel.name}, {size:,} bytes")
    assert size < MAX_WHEEL_BYTES, f"the wheel is {size:,} bytes"
    assert "-cp310-abi3-" in wheel.name, "one abi3 wheel for CPython 3.10+"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
        entry_points = configparser.ConfigParser()
        entry_points.read_string(
            archive.read(
                next(n for n in names if n.endswith("entry_points.txt"))
            ).decode()
        )
        assert entry_points["llm"]["llm_markov_rs"] == "llm_markov_rs", (
            "llm's entry point"
        )
    # Only this package and its metadata: nothing that could shadow another
    # distribution's modules (llm-markov 0.1 installs a top-level llm_markov).
    assert wheel.name.startswith(f"llm_markov_rs-{version}-"), wheel.name
    tops = {name.split("/")[0] for name in names}
    assert tops == {"llm_markov_rs", f"llm_markov_rs-{version}.dist-info"}, tops
    assert any(name.startswith("llm_markov_rs/_markov") for name in names)
    assert "llm_markov_rs/_markov.pyi" in names
    assert "llm_markov_rs/py.typed" in names
    check_metadata(metadata, version)
    if platform.system() == "Linux":
        report = run("auditwheel", "show", wheel)
        print(report)
        assert "manylinux" in report, "auditwheel finds no manylinux policy"


def check_metadata(metadata: email.message.Message, version: str) -> None:
    assert metadata["Name"] == "llm-markov-rs"
    assert metadata["Version"] == version, (metadata["Version"], version)
    assert metadata["Summary"]
    assert metadata["Requires-Python"] == ">=3.10"
    assert metadata["License-Expression"] == "Apache-2.0 AND Unicode-3.0"
    assert metadata["Author"] or metadata["Author-email"]
    assert metadata["Description-Content-Type"].startswith("text/markdown")
    assert "llm-markov-rs" in metadata.get_payload()  # the README
    requirements = metadata.get_all("Requires-Dist") or []
    assert any(req.startswith("llm") for req in requirements), requirements
    classifiers = metadata.get_all("Classifier") or []
    for wanted in (
        "Programming Language :: Rust",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.14",
    ):
        assert wanted in classifiers, wanted
    # The addresses come from pyproject.toml's [project.urls] alone, which
    # is empty until the repository is public; then it names these.
    urls = metadata.get_all("Project-URL") or []
    named = {url.partition(",")[0] for url in urls}
    assert named <= {"Homepage", "Repository", "Issues", "Changelog"}, urls


def check_sdist(sdist: Path, version: str) -> None:
    with tarfile.open(sdist) as archive:
        top = f"llm_markov_rs-{version}/"
        names = [member.name for member in archive.getmembers() if member.isfile()]
        extra = [
            name
            for name in names
            if not name.removeprefix(top).startswith(SDIST_ALLOWED)
        ]
        assert not extra, f"the sdist holds files no build needs: {extra}"
        member = archive.extractfile(top + "PKG-INFO")
        assert member is not None
        check_metadata(email.parser.Parser().parsestr(member.read().decode()), version)
    print(f"sdist: {sdist.name}, {len(names)} files, {sdist.stat().st_size:,} bytes")


def scripts_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


class FreshLlm:
    """A new virtual environment with the newest llm from the index, and an
    empty llm user directory."""

    def __init__(self, scratch: Path) -> None:
        venv = scratch / "venv"
        base_python = getattr(sys, "_base_executable", sys.executable)
        run(base_python, "-m", "venv", venv)
        self.llm = scripts_dir(venv) / "llm"
        run(scripts_dir(venv) / "python", "-m", "pip", "install", "--quiet", "llm")
        self.env = {**os.environ, "LLM_USER_PATH": str(scratch / "user")}
        self.env.pop("VIRTUAL_ENV", None)
        # pip builds the sdist and the checkout with cargo. The checkout's
        # own target directory holds the wheel's build, so neither compiles
        # again; cargo still rebuilds if a source file is missing or newer.
        self.env["CARGO_TARGET_DIR"] = str(ROOT / "target")

    def __call__(self, *arguments: str, input: str | None = None) -> str:
        return run(self.llm, *arguments, env=self.env, cwd=ROOT, input=input)

    def stderr(self, *arguments: str) -> str:
        """What the command wrote to stderr."""
        return run_both(self.llm, *arguments, env=self.env, cwd=ROOT)[1]


def check_install(llm: FreshLlm, what: str, target: str, version: str) -> None:
    """``llm install`` ``target``, use it, and ``llm uninstall`` it."""
    print(f"--- llm install {what}", flush=True)
    started = time.monotonic()
    llm("install", *target.split())
    plugins = json.loads(llm("plugins"))
    assert {"name": "llm-markov-rs", "version": version} in [
        {key: plugin.get(key) for key in ("name", "version")} for plugin in plugins
    ], plugins
    output = llm("-m", "markov", "-o", "length", "30", PROMPT)
    words = output.split()
    assert len(words) == 30, output
    assert set(words) <= set(PROMPT.split()), output
    # A saved chain, trained and prompted through the installed commands.
    llm("markov", "train", "dist-check", "--force", "-", input=PROMPT)
    continued = llm("-m", "markov/dist-check", "-o", "length", "5", "the cat")
    assert set(continued.split()) <= set(PROMPT.split()), continued
    llm("markov", "remove", "dist-check")
    llm("uninstall", "llm-markov-rs", "-y")
    # llm still starts, and the model has gone with the plugin.
    assert "markov" not in llm("models", "list").split()
    print(f"--- llm install {what}: passed in {time.monotonic() - started:.0f} s")


def check_beside_the_tutorial_plugin(llm: FreshLlm, wheel: Path) -> None:
    """Install the wheel next to llm-markov 0.1 from PyPI, the pure-Python
    plugin that also registers ``markov``: this plugin's model must be the
    one llm runs, and its commands must say that the other is there."""
    print("--- beside llm-markov 0.1", flush=True)
    llm("install", str(wheel))
    llm("install", "llm-markov==0.1")
    # Options that only this plugin's markov takes.
    output = llm("-m", "markov", "-o", "seed", "1", "-o", "order", "2", PROMPT)
    assert set(output.split()) <= set(PROMPT.split()), output
    warning = llm.stderr("markov", "path")
    assert "llm-markov 0.1" in warning, warning
    assert "llm uninstall llm-markov -y" in warning, warning
    llm("uninstall", "llm-markov", "llm-markov-rs", "-y")
    print("--- beside llm-markov 0.1: passed")


def source_tree_copy(destination: Path) -> Path:
    """The project's files as a fresh clone would have them (with any
    uncommitted edits), so that an editable install builds into the copy and
    leaves this tree's development build alone."""
    listed = run("git", "ls-files", "-co", "--exclude-standard", cwd=ROOT)
    for name in listed.splitlines():
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def main() -> None:
    version = crate_version()
    wheel, sdist = build()
    check_wheel(wheel, version)
    check_sdist(sdist, version)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        # One environment takes each in turn, since each check ends by
        # uninstalling: uninstalling must have left it clean.
        llm = FreshLlm(root)
        check_install(llm, "the wheel", str(wheel), version)
        check_beside_the_tutorial_plugin(llm, wheel)
        tree = source_tree_copy(root / "llm-markov-rs")
        check_install(llm, "-e (a checkout)", f"-e {tree}", version)
        check_install(llm, "the sdist", str(sdist), version)
    print("dist check passed")


if __name__ == "__main__":
    main()
