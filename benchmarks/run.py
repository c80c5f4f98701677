"""Benchmark llm-markov-rs against the pure-Python baseline, markovify and wc -w.

Run it with ``./scripts/bench`` (which sets up .venv first), or with the
venv's python: ``python benchmarks/run.py [--rounds N]``.

Every measurement runs in a fresh interpreter, so that peak resident memory
(``ru_maxrss``) belongs to that measurement alone; each is repeated and the
median is reported. Times start after the text is read.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "corpus" / "sherlock.txt"
DATA = ROOT / "benchmarks" / "data"
COPIES = 100  # about 60 MB

# Each contender runs as this child script with the corpus path and its name;
# it prints one JSON line: seconds (after reading) and peak RSS in KiB.
CHILD = r"""
import json, random, resource, sys, time
path, contender = sys.argv[1], sys.argv[2]
import llm
# Looking the model up loads every plugin: llm's cost, paid once per process,
# not the model's, so it is done before the clock starts.
model = llm.get_model("markov")
with open(path, encoding="utf-8") as file:
    text = file.read()


def resident_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])


try:
    # Linux: reset the peak (VmHWM) to the current size, so the peak read
    # afterwards is this step's alone, whatever reading the file cost.
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before_kib = resident_kib("VmRSS:")
except OSError:
    before_kib = None
started = time.perf_counter()
if contender == "llm-markov-rs":
    output = model.prompt(text, length=50).text()
elif contender == "llm-markov-rs order 2":
    output = model.prompt(text, length=50, order=2).text()
elif contender == "pure Python":
    words = text.split()
    table = {}
    for current, following in zip(words, words[1:]):
        table.setdefault(current, []).append(following)
    keys = list(table)
    word = random.choice(keys)
    output = [word]
    for _ in range(49):
        word = random.choice(table.get(word) or keys)
        output.append(word)
elif contender.startswith("markovify"):
    import markovify
    state_size = int(contender[-1])
    model = markovify.Text(text, state_size=state_size, retain_original=False)
    output = model.make_sentence(tries=100)
elif contender == "read only":
    pass
else:
    raise SystemExit(f"unknown contender {contender}")
seconds = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
step_kib = resident_kib("VmHWM:") - before_kib if before_kib is not None else None
print(json.dumps({"seconds": seconds, "peak_kib": peak_kib, "step_kib": step_kib}))
"""

GENERATE = r"""
import sys, time, llm
text = open(sys.argv[1], encoding="utf-8").read()
model = llm.get_model("markov")
started = time.perf_counter()
output = model.prompt(text, length=1_000_000, seed=1).text()
seconds = time.perf_counter() - started
assert len(output.split(" ")) == 1_000_000
print(seconds)
"""


def make_corpora() -> tuple[pathlib.Path, pathlib.Path]:
    """The single copy and the ~60 MB repetition of the novel."""
    if not SOURCE.exists():
        sys.exit(f"benchmark corpus not found: {SOURCE}")
    DATA.mkdir(parents=True, exist_ok=True)
    single = DATA / "sherlock-1x.txt"
    repeated = DATA / f"sherlock-{COPIES}x.txt"
    text = SOURCE.read_bytes()
    if not single.exists() or single.read_bytes() != text:
        single.write_bytes(text)
    if not repeated.exists() or repeated.stat().st_size != len(text) * COPIES:
        repeated.write_bytes(text * COPIES)
    return single, repeated


def run_child(path: pathlib.Path, contender: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), contender],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def time_wc(path: pathlib.Path) -> float:
    started = time.perf_counter()
    subprocess.run(["wc", "-w", str(path)], capture_output=True, check=True)
    return time.perf_counter() - started


def plugin_import_ms() -> float:
    """Cumulative import time of the plugin's modules in a process that has
    already imported llm, as ``python -X importtime`` reports it."""
    code = "import llm; import llm_markov_rs; import llm_markov_rs.model"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    total_us = 0
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        # Top-level entries of the plugin only: nested ones are included.
        if (
            match
            and match.group(3).startswith("llm_markov_rs")
            and match.group(2) == " "
        ):
            total_us += int(match.group(1))
    return total_us / 1000


def has_markovify() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import markovify"], check=False)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    single, repeated = make_corpora()
    rounds = args.rounds

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
    contenders = ["read only", "llm-markov-rs", "llm-markov-rs order 2", "pure Python"]
    if has_markovify():
        contenders += ["markovify 1", "markovify 2"]
    else:
        print("markovify is not installed: skipped (pip install --group bench)")

    for path in (single, repeated):
        size = path.stat().st_size
        print(f"\ncorpus: {path.name}, {size / 1e6:.1f} MB, {rounds} rounds, medians")
        wc_rounds = rounds if shutil.which("wc") else 0
        wc = statistics.median([time_wc(path) for _ in range(wc_rounds)] or [0.0])
        results = {}
        for contender in contenders:
            # markovify on 60 MB takes minutes a round: fewer rounds there.
            n = 1 if contender.startswith("markovify") and size > 10e6 else rounds
            samples = [run_child(path, contender) for _ in range(n)]
            results[contender] = {
                key: statistics.median(s[key] for s in samples)
                if samples[0][key] is not None
                else None
                for key in ("seconds", "peak_kib", "step_kib")
            }
        base_kib = results["read only"]["peak_kib"]
        ours = results["llm-markov-rs"]["seconds"]
        # "extra": peak RSS above the process that only imports llm and reads
        # the text. "step": the peak during the timed step above the RSS just
        # before it (Linux only), which reading the file's own peak cannot hide.
        print(
            f"{'':20} {'time':>9} {'vs ours':>8} {'peak RSS':>9} {'extra':>8} "
            f"{'/corpus':>8} {'step':>8} {'/corpus':>8}"
        )
        for contender, figures in results.items():
            extra = (figures["peak_kib"] - base_kib) * 1024
            step = (figures["step_kib"] or 0) * 1024
            print(
                f"{contender:20} {figures['seconds']:8.3f}s "
                f"{figures['seconds'] / ours:7.1f}x "
                f"{figures['peak_kib'] / 1024:8.0f}M {extra / 1e6:7.0f}M "
                f"{extra / size:7.2f}x {step / 1e6:7.0f}M {step / size:7.2f}x"
            )
        if wc_rounds:
            print(
                f"{'wc -w':20} {wc:8.3f}s {wc / ours:7.1f}x"
                "  (includes reading the file)"
            )

    speeds = []
    for _ in range(rounds):
        result = subprocess.run(
            [sys.executable, "-c", GENERATE, str(single)],
            capture_output=True,
            text=True,
            check=True,
        )
        speeds.append(1_000_000 / float(result.stdout.strip()))
    print(
        f"\ngeneration: {statistics.median(speeds):,.0f} words/s "
        "(1,000,000 words through model.prompt(...).text(), median)"
    )
    imports = [plugin_import_ms() for _ in range(rounds)]
    print(
        f"plugin import: {statistics.median(imports):.2f} ms"
        " on top of llm's own import (median)"
    )


if __name__ == "__main__":
    main()
