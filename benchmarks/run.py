"""Benchmark llm-markov-rs against the pure-Python baseline, markovify and
wc -w, and its saved chains against building from the text.

Run it with ``./scripts/bench`` (which sets up .venv first), or with the
venv's python: ``python benchmarks/run.py [--rounds N] [--corpus NAME]``.

Two corpora, side by side: the novel in ``../shared/corpus/sherlock.txt``
repeated 100 times (59.5 MB, but only 15 thousand distinct words, so every
table stays in cache), and WordNet 3.0 (``../shared/corpus/wordnet.txt.gz``,
31 MB, 286 thousand distinct words, decompressed here with Python's gzip).
The token modes are measured on those two and on the manual pages in
Chinese and Japanese (``manpages-zh.txt.gz``, ``manpages-ja.txt.gz``).

Every measurement runs in a fresh interpreter, so that peak resident memory
belongs to that measurement alone; each is repeated and the median is
reported. Times start after the text is read, unless they say otherwise.
"""

from __future__ import annotations

import argparse
import compileall
import gzip
import importlib.util
import json
import os
import pathlib
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"
DATA = ROOT / "benchmarks" / "data"
COPIES = 100  # about 60 MB
#: A prompt to continue; both corpora have these words.
PROMPT = "the state of"
#: Rounds of the saved-chain prompts against llm --version: each takes
#: about half a second, and their differences are a few milliseconds.
PROMPT_ROUNDS = 15

# Each contender runs as this child script with the corpus path, its name
# and a folder for saved chains; it prints one JSON line: seconds (after
# reading), peak RSS in KiB, and what it learned.
CHILD = r"""
import json, os, random, resource, sys, time
path, contender, user_path = sys.argv[1], sys.argv[2], sys.argv[3]
os.environ["LLM_USER_PATH"] = user_path
import llm
# Looking a model up loads every plugin: llm's cost, paid once per process,
# not the model's, so it is done before the clock starts.
model = llm.get_model("markov")
saved = llm.get_model("markov/bench") if contender.startswith("load + ") else None
# The plugin's options and what runs a response are imported on a model's
# first use: a cost of the process, as llm's is, not of the step measured.
model.Options
import llm_markov_rs.run
text = None
if not contender.startswith(("train", "load", "read + build")):
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
learned = {}
started = time.perf_counter()
if contender.startswith("llm-markov-rs max_copy"):
    order = int(contender[-1])
    response = model.prompt(text, length=50, order=order, max_copy=order + 3)
    response.text()
    learned = {"words": response.response_json["token_count"]}
elif contender.startswith("sentences"):
    # Five sentences at order 2, with the default guard or with none.
    guard = {} if contender == "sentences guarded" else {"max_copy": 0}
    response = model.prompt(text, sentences=5, order=2, **guard)
    response.text()
elif contender.startswith("llm-markov-rs"):
    order = int(contender[-1])
    response = model.prompt(text, length=50, order=order)
    response.text()
    learned = {"distinct_words": response.response_json["vocabulary_size"],
               "words": response.response_json["token_count"]}
elif contender.startswith("build "):
    import llm_markov_rs._markov as native
    chain = native.Chain(text, 1, tokens=contender.removeprefix("build "))
    learned = {"words": chain.token_count, "distinct_words": chain.vocabulary_size}
elif contender.startswith("read + build"):
    import llm_markov_rs._markov as native
    with open(path, encoding="utf-8") as file:
        native.Chain(file.read(), int(contender[-1]))
elif contender.startswith("train"):
    from llm_markov_rs import train_chain
    info = train_chain("bench", [__import__("pathlib").Path(path)],
                       order=int(contender[-1]), replace=True,
                       copy_guard="no guard" not in contender)
    learned = {"file_size": info.file_size}
elif contender.startswith("guarded walk"):
    import llm_markov_rs._markov as native
    order = int(contender[-1])
    chain = native.Chain(text, order, copy_index=True)
    walk = chain.walk(1_000_000, 1, None, None, order + 3)
    started = time.perf_counter()
    while walk.next_text(1 << 16):
        pass
    learned = {"words": walk.tokens_written}
elif contender == "load + 50 words":
    response = saved.prompt(sys.argv[4], length=50)
    response.text()
    learned = {"start": response.response_json["start"]}
elif contender == "load + 5 sentences":
    # Steered: the backward pass over the whole chain runs in every prompt.
    response = saved.prompt(sys.argv[4], sentences=5)
    response.text()
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
print(json.dumps({"seconds": seconds, "peak_kib": peak_kib, "step_kib": step_kib,
                  **learned}))
"""

# Times llm's own model registration (every plugin's register_models hook),
# in a process that has loaded the plugins already.
REGISTER = r"""
import sys, time, llm
llm.get_models_with_aliases()
started = time.perf_counter()
llm.get_models_with_aliases()
print(time.perf_counter() - started)
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


# Writes 1,000 sentences of the novel at state size / order 2 with each
# library, timed from the text in memory, and prints them as JSON.
SENTENCES = r"""
import json, sys, time
text = open(sys.argv[1], encoding="utf-8").read()
if sys.argv[2] == "markovify":
    import markovify
    started = time.perf_counter()
    model = markovify.Text(text, state_size=2)
    sentences = [model.make_sentence() for _ in range(1000)]
else:
    # One sentence a walk, as make_sentence() makes them: the sentences as
    # the chain counts them, with the markov model's sentences defaults
    # (max_copy 15 and no whole sentence of the text, balanced quotes and
    # brackets, the overlap ratio 0.7).
    import llm_markov_rs._markov as native
    started = time.perf_counter()
    chain = native.Chain(text, 2, copy_index=True)
    sentences = [
        chain.walk(
            1000, seed, None, 1, 15, balanced=True, max_copy_ratio=0.7
        ).next_text(1000) or None
        for seed in range(1000)
    ]
print(json.dumps({"seconds": time.perf_counter() - started, "sentences": sentences}))
"""


# Steered sentences against markovify, on one text: 200 sentences with the
# defaults, and 100 that contain a word (markovify: generate until one does,
# at most 10,000 tries a sentence), unless the word is "". Prints one JSON
# line.
STEERED = r"""
import json, sys, time
text = open(sys.argv[1], encoding="utf-8").read()
# An empty word: the sentences alone (100 sentences with a word, 10,000
# tries each, would take markovify hours on WordNet).
library, word = sys.argv[2], sys.argv[3]
if library == "markovify":
    import markovify
    started = time.perf_counter()
    model = markovify.Text(text, state_size=2)
    built = time.perf_counter() - started
    plain = [model.make_sentence() for _ in range(200)]
    plain_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model = markovify.Text(text, state_size=2) if word else None
    holding, misses = [], 0
    for _ in range(100 if word else 0):
        for _ in range(10_000):
            sentence = model.make_sentence()
            if sentence is not None and word in sentence.split():
                holding.append(sentence)
                break
        else:
            misses += 1
    contains_seconds = time.perf_counter() - started
else:
    import llm_markov_rs._markov as native
    defaults = dict(balanced=True, max_copy_ratio=0.7)
    started = time.perf_counter()
    chain = native.Chain(text, 2, copy_index=True)
    built = time.perf_counter() - started
    plain = [
        chain.walk(1000, seed, None, 1, 15, **defaults).next_text(1000) or None
        for seed in range(200)
    ]
    plain_seconds = time.perf_counter() - started
    started = time.perf_counter()
    chain = native.Chain(text, 2, copy_index=True)
    holding = [
        chain.walk(1000, seed, None, 1, 15, contains=word, **defaults).next_text(1000)
        for seed in range(100 if word else 0)
    ]
    misses = 0
    contains_seconds = time.perf_counter() - started
print(json.dumps({
    "build_seconds": built, "plain_seconds": plain_seconds, "plain": plain,
    "contains_seconds": contains_seconds, "holding": holding, "misses": misses,
}))
"""

# Times the first steered walk through a chain (the backward pass) and a
# second one with the same options (the plans kept), at the given order.
STEERED_FIRST = r"""
import json, sys, time
import llm_markov_rs._markov as native
text = open(sys.argv[1], encoding="utf-8").read()
chain = native.Chain(text, int(sys.argv[2]))
times = []
for seed in (1, 2):
    started = time.perf_counter()
    chain.walk(1000, seed, None, 1, None, balanced=True).next_text(1000)
    times.append(time.perf_counter() - started)
print(json.dumps({"first": times[0], "again": times[1], "states": chain.state_count}))
"""

# Generates 1,000,000 words of a text at order 1 with a steering option,
# through the extension, timed after the chain is built.
STEERED_SPEED = r"""
import json, sys, time
import llm_markov_rs._markov as native
text = open(sys.argv[1], encoding="utf-8").read()
option = json.loads(sys.argv[2])
chain = native.Chain(text, 1)
started = time.perf_counter()
walk = chain.walk(1_000_000, 1, None, None, None, **option)
words = 0
while chunk := walk.next_text(1 << 16):
    pass
words = walk.tokens_written
print(json.dumps({"seconds": time.perf_counter() - started, "words": words}))
"""


def make_corpora() -> list[pathlib.Path]:
    """The single copy of the novel, its ~60 MB repetition, and WordNet."""
    source = SHARED / "sherlock.txt"
    wordnet_gz = SHARED / "wordnet.txt.gz"
    for needed in (source, wordnet_gz):
        if not needed.exists():
            sys.exit(f"benchmark corpus not found: {needed}")
    DATA.mkdir(parents=True, exist_ok=True)
    single = DATA / "sherlock-1x.txt"
    repeated = DATA / f"sherlock-{COPIES}x.txt"
    wordnet = DATA / "wordnet.txt"
    text = source.read_bytes()
    if not single.exists() or single.read_bytes() != text:
        single.write_bytes(text)
    if not repeated.exists() or repeated.stat().st_size != len(text) * COPIES:
        repeated.write_bytes(text * COPIES)
    if not wordnet.exists() or wordnet.stat().st_mtime < wordnet_gz.stat().st_mtime:
        with gzip.open(wordnet_gz) as compressed:
            wordnet.write_bytes(compressed.read())
    return [single, repeated, wordnet]


def manual_pages() -> list[pathlib.Path]:
    """The manual pages in Chinese and Japanese, decompressed."""
    DATA.mkdir(parents=True, exist_ok=True)
    pages = []
    for language in ("zh", "ja"):
        compressed = SHARED / f"manpages-{language}.txt.gz"
        if not compressed.exists():
            sys.exit(f"benchmark corpus not found: {compressed}")
        plain = DATA / f"manpages-{language}.txt"
        if not plain.exists() or plain.stat().st_mtime < compressed.stat().st_mtime:
            with gzip.open(compressed) as data:
                plain.write_bytes(data.read())
        pages.append(plain)
    return pages


def sentence_lines(words: list[str], rng: random.Random) -> list[str]:
    """``words`` cut into sentences of 5 to 24 words, one a line, each
    capitalized and ended with a full stop."""
    lines = []
    start = 0
    while start < len(words):
        end = start + rng.randint(5, 24)
        sentence = words[start:end]
        lines.append(sentence[0].capitalize() + " " + " ".join(sentence[1:]) + ".")
        start = end
    return lines


#: Bump when high_vocabulary_text() changes, so that a stale copy is made
#: again.
HIGH_VOCABULARY_VERSION = 1


def high_vocabulary_text() -> pathlib.Path:
    """A text with a vocabulary over twice WordNet's that is not WordNet:
    the Chinese and Japanese manual pages (whitespace-split, so whole
    clauses are words, in other scripts) and 3 million words drawn from a
    Zipf distribution (exponent 1) over 1.2 million made-up words, in
    sentences of 5 to 24 words a line. Made once, from a fixed seed, in
    benchmarks/data (never committed)."""
    target = DATA / f"high-vocabulary-v{HIGH_VOCABULARY_VERSION}.txt"
    if target.exists():
        return target
    import itertools

    rng = random.Random(30)
    onsets = [*"bcdfghjklmnprstvwz", "br", "dr", "gr", "kr", "pl", "st", "tr", "sh"]
    vowels = [*"aeiouyáéöü", "ai", "ou", "ea"]
    codas = ["", "", "", "n", "r", "s", "l", "t", "nd", "st"]

    def made_up_word() -> str:
        syllables = rng.choice((1, 2, 2, 3, 3, 4))
        return "".join(
            rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
            for _ in range(syllables)
        )

    vocabulary = sorted({made_up_word() for _ in range(1_500_000)})
    rng.shuffle(vocabulary)
    ranks = itertools.accumulate(1 / rank for rank in range(1, len(vocabulary) + 1))
    words = rng.choices(vocabulary, cum_weights=list(ranks), k=3_000_000)
    lines = sentence_lines(words, rng)
    chinese, japanese = manual_pages()
    partial = target.with_suffix(".partial")
    with open(partial, "wb") as out:
        out.write(chinese.read_bytes())
        out.write(japanese.read_bytes())
        out.write("\n".join(lines).encode())
        out.write(b"\n")
    partial.replace(target)
    return target


#: Bump when request_log_text() or compound_word_text() changes.
GENERAL_TEXTS_VERSION = 1


def request_log_text() -> pathlib.Path:
    """A web server's log, made up: 700 thousand lines of a date, a time, a
    method, a path with a numbered item (17 to 21 bytes, most of them
    sharing their first eight), a status, a duration and a numbered user:
    line structure, numbers, 470 thousand distinct words in 4.9 million.
    Made once, from a fixed seed, in benchmarks/data (never committed)."""
    target = DATA / f"request-log-v{GENERAL_TEXTS_VERSION}.txt"
    if target.exists():
        return target
    rng = random.Random(43)
    lines = []
    for _ in range(700_000):
        lines.append(
            f"2026-12-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d} {rng.choice(('GET', 'GET', 'POST'))} "
            f"/api/v{rng.randint(1, 3)}/items/{rng.randint(1, 200_000)} "
            f"{rng.choice((200, 200, 200, 404, 500))} {rng.randint(1, 5000)}ms "
            f"user{rng.randint(1, 50_000)}\n"
        )
    DATA.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text("".join(lines), encoding="utf-8")
    partial.replace(target)
    return target


def compound_word_text() -> pathlib.Path:
    """Made-up compounds, as German or Dutch make them: two or three of
    about 3,000 stems joined, so that words share long beginnings; 5
    million words drawn from a Zipf distribution (exponent 1) over a
    million compounds and about 200 short words, in sentences of 5 to 24
    words a line.
    Made once, from a fixed seed, in benchmarks/data (never committed)."""
    target = DATA / f"compound-words-v{GENERAL_TEXTS_VERSION}.txt"
    if target.exists():
        return target
    import itertools

    rng = random.Random(44)
    letters = "bdfghklmnprstvwz"
    vowels = "aeiou"

    def syllables(count: int) -> str:
        return "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(count))

    stems = sorted({syllables(rng.choice((2, 3, 3, 4))) for _ in range(3_000)})
    short = sorted({syllables(1) + rng.choice(("", "n", "r")) for _ in range(400)})
    compounds: set[str] = set()
    while len(compounds) < 1_000_000:
        parts = rng.choices(stems, k=rng.choice((2, 2, 3)))
        compounds.add("".join(parts))
    vocabulary = short + sorted(compounds)
    rng.shuffle(vocabulary)
    ranks = itertools.accumulate(1 / rank for rank in range(1, len(vocabulary) + 1))
    words = rng.choices(vocabulary, cum_weights=list(ranks), k=5_000_000)
    lines = sentence_lines(words, rng)
    DATA.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.replace(target)
    return target


def bench_tokens(repeated: pathlib.Path, wordnet: pathlib.Path, rounds: int) -> None:
    """What each token mode costs to build at order 1, against words mode on
    the same text: the build alone, in fresh processes, medians."""
    print("\ntoken modes: build at order 1, medians")
    print(
        f"{'':34} {'time':>8} {'vs words':>9} {'tokens':>12} {'tokens/s':>12} "
        f"{'per token':>10}"
    )
    chinese, japanese = manual_pages()
    cases = [
        (repeated, ("words", "lines", "chars", "unicode")),
        (wordnet, ("words", "unicode")),
        (chinese, ("words", "unicode")),
        (japanese, ("words", "unicode")),
    ]
    for path, modes in cases:
        user_path = tempfile.mkdtemp(prefix="markov-bench-")
        try:
            results = {
                mode: medians(
                    [run_child(path, f"build {mode}", user_path) for _ in range(rounds)]
                )
                for mode in modes
            }
        finally:
            shutil.rmtree(user_path, ignore_errors=True)
        words = results["words"]
        size = path.stat().st_size
        for mode, figures in results.items():
            seconds, tokens = figures["seconds"], figures["words"]
            # Per token: this mode's time per token over words mode's.
            per_token = (seconds / tokens) / (words["seconds"] / words["words"])
            print(
                f"{path.name + ' ' + mode:34} {seconds:7.3f}s "
                f"{seconds / words['seconds']:8.2f}x {tokens:12,} "
                f"{tokens / seconds:12,.0f} {per_token:9.2f}x"
                + (f"  {size / seconds / 1e6:.1f} MB/s" if mode == "unicode" else "")
            )


def python_output(
    code: str, *args: object, env: dict[str, str] | None = None, what: str = ""
) -> str:
    """What ``code``, run by this interpreter in a process of its own with
    ``args``, prints. If it fails, the benchmark stops with its errors,
    saying ``what`` failed (its arguments, by default)."""
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"{what or list(args)} failed:\n{result.stderr}")
    return result.stdout


def run_child(
    path: pathlib.Path,
    contender: str,
    user_path: str,
    env: dict[str, str] | None = None,
) -> dict:
    output = python_output(
        CHILD,
        path,
        contender,
        user_path,
        PROMPT,
        env=env,
        what=f"{contender} on {path.name}",
    )
    return json.loads(output.strip().splitlines()[-1])


def medians(samples: list[dict]) -> dict:
    return {
        key: statistics.median(sample[key] for sample in samples)
        if isinstance(samples[0][key], int | float)
        else samples[0][key]
        for key in samples[0]
    }


def time_command(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=env)
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


#: The plugin's register_models hook, the first time a process calls it, as
#: llm does on its first lookup of any model: it imports the models' module.
FIRST_REGISTRATION = r"""
import time, llm, llm_markov_rs
started = time.perf_counter()
llm_markov_rs.register_models(lambda *models, **options: None)
print(time.perf_counter() - started)
"""


def seconds_printed(code: str, *args: str, env: dict[str, str] | None = None) -> float:
    """The seconds that ``code``, run by this interpreter in a process of its
    own with ``args``, prints as its output."""
    return float(python_output(code, *args, env=env))


def compile_plugin() -> None:
    """Writes the plugin's bytecode beside its modules, as pip does when it
    installs a wheel. An editable build has none, and where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on session 28's machine in
    docs/performance.md) Python never writes it: every process would compile
    the plugin's modules from source, about 4 ms a prompt that no installed
    plugin pays."""
    spec = importlib.util.find_spec("llm_markov_rs")
    if spec is None or spec.origin is None:
        sys.exit("llm_markov_rs is not installed: run ./scripts/bench")
    compileall.compile_dir(pathlib.Path(spec.origin).parent, quiet=1)


#: A plugin with a model that writes its prompt back: llm's own cost of a
#: prompt, for any model, measured as this plugin's prompts are.
ECHO_PLUGIN = """
import llm


class Echo(llm.Model):
    model_id = "echo"

    def execute(self, prompt, stream, response, conversation):
        yield prompt.prompt


@llm.hookimpl
def register_models(register):
    register(Echo())
"""


def install_echo_plugin(folder: pathlib.Path) -> dict[str, str]:
    """Writes :data:`ECHO_PLUGIN` into ``folder`` as an installed package
    with an ``llm`` entry point, and returns what to add to a command's
    environment for llm to load it (nothing is installed into .venv)."""
    (folder / "markov_bench_echo.py").write_text(ECHO_PLUGIN)
    metadata = folder / "markov_bench_echo-0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: markov-bench-echo\nVersion: 0\n"
    )
    (metadata / "entry_points.txt").write_text("[llm]\necho = markov_bench_echo\n")
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": str(folder) + (os.pathsep + path if path else "")}


def first_registration_ms() -> float:
    """What the plugin adds to a process's first lookup of any model."""
    return seconds_printed(FIRST_REGISTRATION) * 1000


def has_markovify() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import markovify"], check=False)
    return probe.returncode == 0


def bench_corpus(path: pathlib.Path, rounds: int, markovify: bool) -> None:
    size = path.stat().st_size
    user_path = tempfile.mkdtemp(prefix="markov-bench-")
    try:
        contenders = ["read only"]
        contenders += [f"llm-markov-rs order {order}" for order in (1, 2, 3)]
        contenders += ["pure Python"]
        if markovify:
            contenders += ["markovify 1"]
        results = {}
        for contender in contenders:
            # markovify on tens of megabytes takes minutes a round.
            n = 1 if contender.startswith("markovify") and size > 10e6 else rounds
            results[contender] = medians(
                [run_child(path, contender, user_path) for _ in range(n)]
            )
        ours = results["llm-markov-rs order 1"]
        print(
            f"\ncorpus: {path.name}, {size / 1e6:.1f} MB, {ours['words']:,} words, "
            f"{ours['distinct_words']:,} distinct, {rounds} rounds, medians"
        )
        wc = (
            statistics.median(
                [time_command(["wc", "-w", str(path)]) for _ in range(rounds)]
            )
            if shutil.which("wc")
            else None
        )
        base_kib = results["read only"]["peak_kib"]
        # "extra": peak RSS above the process that only imports llm and
        # reads the text. "step": the peak during the timed step above the
        # RSS just before it (Linux only).
        print(
            f"{'':24} {'time':>9} {'vs ours':>8} {'peak RSS':>9} {'extra':>8} "
            f"{'/text':>7} {'step':>8} {'/text':>7}"
        )
        for contender, figures in results.items():
            extra = (figures["peak_kib"] - base_kib) * 1024
            step = (figures["step_kib"] or 0) * 1024
            print(
                f"{contender:24} {figures['seconds']:8.3f}s "
                f"{figures['seconds'] / ours['seconds']:7.2f}x "
                f"{figures['peak_kib'] / 1024:8.0f}M {extra / 1e6:7.0f}M "
                f"{extra / size:6.2f}x {step / 1e6:7.0f}M {step / size:6.2f}x"
            )
        if wc is not None:
            print(
                f"{'wc -w':24} {wc:8.3f}s {wc / ours['seconds']:7.2f}x"
                "  (includes reading the file)"
            )
        baseline = results["pure Python"]["seconds"]
        higher = [
            results[f"llm-markov-rs order {order}"]["seconds"] / ours["seconds"]
            for order in (2, 3)
        ]
        print(
            f"pure Python / llm-markov-rs order 1: {baseline / ours['seconds']:.1f}x; "
            f"order 2 and 3 / order 1: {higher[0]:.2f}x, {higher[1]:.2f}x"
        )
        builds = {
            order: results[f"llm-markov-rs order {order}"]["seconds"]
            for order in (1, 2, 3)
        }
        bench_saved(path, size, rounds, user_path, builds)
    finally:
        shutil.rmtree(user_path, ignore_errors=True)


#: The speed issue's bounds on the time of orders 2 and 3 against order 1.
ORDER_TIME_LIMITS = {2: 1.5, 3: 2.0}


def paired_ratio(times: list[float], bases: list[float]) -> float:
    """The median of each round's ratio of ``times`` to ``bases``, both
    timed in that round: the machine's speed drifts between rounds by more
    than the speed targets' margins."""
    return statistics.median(
        time / base for time, base in zip(times, bases, strict=True)
    )


def bench_speed(texts: list[pathlib.Path], rounds: int, heading: str = "speed") -> None:
    """#30's targets on each text, side by side in one run, medians: build +
    50 words at orders 1 to 3 against `wc -w`, extra memory over the text,
    the copy guard at order 1 and in sentences mode against none. Ratios
    are the medians of each round's. ``heading`` names the texts' set."""
    contenders = [
        "llm-markov-rs order 1",
        "llm-markov-rs order 2",
        "llm-markov-rs order 3",
        "llm-markov-rs max_copy 1",
        "sentences guarded",
        "sentences unguarded",
    ]
    print(f"\n{heading}: build + 50 words (order 1 to 3), medians of", rounds)
    misses = []
    for path in texts:
        size = path.stat().st_size
        # A text with no sentence end (a log) cannot be written in
        # sentences: its guard is measured at order 1 only.
        has_sentences = re.search(rb"[.!?](\s|$)", path.read_bytes()) is not None
        measured = [
            name
            for name in contenders
            if has_sentences or not name.startswith("sentences")
        ]
        user_path = tempfile.mkdtemp(prefix="markov-bench-")
        try:
            # Rounds interleave the contenders, so that a slow spell of the
            # machine falls on all of them.
            samples: dict[str, list[dict]] = {name: [] for name in measured}
            wc_samples = []
            for _ in range(rounds):
                for name in measured:
                    samples[name].append(run_child(path, name, user_path))
                wc_samples.append(time_command(["wc", "-w", str(path)]))
        finally:
            shutil.rmtree(user_path, ignore_errors=True)
        results = {name: medians(runs) for name, runs in samples.items()}
        wc = statistics.median(wc_samples)
        first = results["llm-markov-rs order 1"]
        seconds = {
            name: [sample["seconds"] for sample in runs]
            for name, runs in samples.items()
        }

        print(
            f"{path.name}: {size / 1e6:.1f} MB, {first['words']:,} words, "
            f"{first['distinct_words']:,} distinct; wc -w {wc:.3f} s"
        )
        limit_wc = 1.5 if first["distinct_words"] > 600_000 else 1.0
        checks = []
        for order in (1, 2, 3):
            figures = results[f"llm-markov-rs order {order}"]
            # The step's own peak: above what the process held with the
            # text read.
            extra = figures["step_kib"] * 1024 / size
            name = f"llm-markov-rs order {order}"
            over_wc = paired_ratio(seconds[name], wc_samples)
            over_first = paired_ratio(seconds[name], seconds["llm-markov-rs order 1"])
            line = (
                f"  order {order}: {figures['seconds']:.3f} s, "
                f"{over_wc:.2f}x wc -w, {over_first:.2f}x order 1, "
                f"extra memory {extra:.2f}x the text"
            )
            print(line)
            checks.append((f"order {order} extra memory", extra, 2.0))
            if order == 1:
                checks.append(("order 1 / wc -w", over_wc, limit_wc))
            else:
                limit = ORDER_TIME_LIMITS[order]
                checks.append((f"order {order} / order 1", over_first, limit))
        guarded = results["llm-markov-rs max_copy 1"]["seconds"]
        if has_sentences:
            sentences = (
                results["sentences guarded"]["seconds"],
                results["sentences unguarded"]["seconds"],
            )
            print(
                f"  max_copy 4 at order 1: {guarded:.3f} s; 5 sentences at order 2 "
                f"with the default guard {sentences[0]:.3f} s, without "
                f"{sentences[1]:.3f} s"
            )
            checks.append(
                (
                    "sentences guard / without",
                    paired_ratio(
                        seconds["sentences guarded"], seconds["sentences unguarded"]
                    ),
                    2.0,
                )
            )
        else:
            print(f"  max_copy 4 at order 1: {guarded:.3f} s; no sentence ends")
        checks.append(
            (
                "max_copy / without, order 1",
                paired_ratio(
                    seconds["llm-markov-rs max_copy 1"],
                    seconds["llm-markov-rs order 1"],
                ),
                2.0,
            )
        )
        for name, value, limit in checks:
            if value > limit:
                misses.append(f"{path.name}: {name} {value:.2f}x > {limit}x")
    print("  targets: " + ("all met" if not misses else "missed: " + "; ".join(misses)))


def bench_saved(
    path: pathlib.Path,
    size: int,
    rounds: int,
    user_path: str,
    builds: dict[int, float],
) -> None:
    """A saved chain of order 1 against building it from the text: trained
    with the copy guard's index (the default) and without it; then loaded
    at orders 2 and 3, against building those (``builds``: the seconds of
    build + 50 words at each order)."""
    build_seconds = builds[1]
    read_build = medians(
        [run_child(path, "read + build 1", user_path) for _ in range(rounds)]
    )
    guarded = medians([run_child(path, "train 1", user_path) for _ in range(rounds)])
    train = medians(
        [run_child(path, "train no guard 1", user_path) for _ in range(rounds)]
    )
    # The chain trained last, without the index, is the one loaded.
    load = medians(
        [run_child(path, "load + 50 words", user_path) for _ in range(rounds)]
    )
    env = {**os.environ, "LLM_USER_PATH": user_path}
    llm_command = [sys.executable, "-m", "llm"]
    startup, saved_prompt = [], []
    for _ in range(max(rounds, 5)):
        startup.append(time_command([*llm_command, "-m", "markov", "a b"], env))
        saved_prompt.append(
            time_command([*llm_command, "-m", "markov/bench", PROMPT], env)
        )
    startup_s, saved_s = statistics.median(startup), statistics.median(saved_prompt)
    print(f"saved chain of order 1 ({path.name}), trained with --no-copy-guard:")
    print(
        f"  file: {train['file_size'] / 1e6:.1f} MB, {train['file_size'] / size:.3f}x "
        "the text"
    )
    print(
        f"  load + 50 words in process: {load['seconds'] * 1000:.1f} ms, "
        f"{load['seconds'] / build_seconds:.3f}x the build + 50 words "
        f"({build_seconds:.3f} s)"
    )
    print_sentences(path, user_path, rounds, load)
    print(
        f"  llm markov train (read, build, save): {train['seconds']:.3f} s, "
        f"{train['seconds'] / read_build['seconds']:.2f}x reading and building "
        f"it in memory ({read_build['seconds']:.3f} s)"
    )
    print(
        f"  llm -m markov/bench {PROMPT!r}: {saved_s:.3f} s end to end, "
        f"{(saved_s - startup_s) * 1000:+.0f} ms over llm -m markov 'a b' "
        f"({startup_s:.3f} s)"
    )
    print("  with the copy guard's index (the default):")
    print(
        f"    file: {guarded['file_size'] / 1e6:.1f} MB, "
        f"{guarded['file_size'] / size:.3f}x the text; train "
        f"{guarded['seconds']:.3f} s, {guarded['seconds'] / train['seconds']:.2f}x "
        "the train without"
    )
    # A load checks a chain of higher order by its states' words: once a
    # walk back per state and follower (0.5 s for WordNet at order 3).
    for order in (2, 3):
        run_child(path, f"train no guard {order}", user_path)
        loaded = medians(
            [run_child(path, "load + 50 words", user_path) for _ in range(rounds)]
        )
        print(
            f"  order {order}, load + 50 words in process: "
            f"{loaded['seconds'] * 1000:.1f} ms, "
            f"{loaded['seconds'] / builds[order]:.3f}x the build + 50 words "
            f"({builds[order]:.3f} s)"
        )
        print_sentences(path, user_path, rounds, loaded)


def print_sentences(
    path: pathlib.Path, user_path: str, rounds: int, load: dict
) -> None:
    """Five sentences from the saved chain against 50 words from it: what
    steering a prompt to a saved chain costs, its backward pass included."""
    sentences = medians(
        [run_child(path, "load + 5 sentences", user_path) for _ in range(rounds)]
    )
    print(
        f"    load + 5 sentences: {sentences['seconds'] * 1000:.1f} ms, "
        f"{sentences['seconds'] / load['seconds']:.2f}x the load + 50 words"
    )


def bench_guard(wordnet: pathlib.Path, rounds: int) -> None:
    """The copy guard on WordNet: build + 50 words with max_copy against
    without, and guarded generation, at orders 1 to 3 with max_copy =
    order + 3."""
    user_path = tempfile.mkdtemp(prefix="markov-bench-")
    try:
        print("\ncopy guard on wordnet.txt, max_copy = order + 3, medians")
        for order in (1, 2, 3):
            plain, guarded, walk = (
                medians(
                    [
                        run_child(wordnet, f"{name}{order}", user_path)
                        for _ in range(rounds)
                    ]
                )
                for name in (
                    "llm-markov-rs order ",
                    "llm-markov-rs max_copy ",
                    "guarded walk ",
                )
            )
            print(
                f"order {order}: build + 50 words {guarded['seconds']:.3f} s, "
                f"{guarded['seconds'] / plain['seconds']:.2f}x without "
                f"({plain['seconds']:.3f} s); guarded generation "
                f"{walk['words'] / walk['seconds']:,.0f} words/s"
            )
    finally:
        shutil.rmtree(user_path, ignore_errors=True)


class CopiedRuns:
    """How much of a sentence is copied from a text, word for word."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        # Where each word stands: a run is looked up at its rarest word's
        # places, not by searching the whole text (minutes on WordNet).
        self.places: dict[str, list[int]] = {}
        for place, word in enumerate(words):
            self.places.setdefault(word, []).append(place)

    def occurs(self, run: list[str]) -> bool:
        """Whether ``run`` occurs in the text."""
        places = self.places
        rarest = min(range(len(run)), key=lambda at: len(places.get(run[at], ())))
        return any(
            self.words[place - rarest : place - rarest + len(run)] == run
            for place in places.get(run[rarest], ())
            if place >= rarest
        )

    def longest(self, sentence: list[str]) -> int:
        """The longest run of ``sentence`` that occurs in the text."""
        longest, start = 0, 0
        for end in range(1, len(sentence) + 1):
            while start < end and not self.occurs(sentence[start:end]):
                start += 1
            longest = max(longest, end - start)
        return longest


def bench_sentences(novel: pathlib.Path) -> None:
    """1,000 sentences of the novel at state size 2, against markovify: the
    time from the text in memory, and what the sentences are like."""
    from markovify.splitters import split_into_sentences

    text = novel.read_text(encoding="utf-8")
    longest_run = CopiedRuns(text.split()).longest
    whole = {" ".join(sentence.split()) for sentence in split_into_sentences(text)}

    print("\n1,000 sentences of the novel, state size 2 (one run each)")
    results = {}
    with tempfile.TemporaryDirectory(prefix="markov-bench-") as user_path:
        for name in ("llm-markov-rs", "markovify"):
            results[name] = child_json(SENTENCES, novel, name, user_path)
    for name, result in results.items():
        made = [s for s in result["sentences"] if s is not None]
        split = [s.split() for s in made]
        print(
            f"{name:14} {result['seconds']:7.2f} s; {len(made)} sentences "
            f"({len(result['sentences']) - len(made)} None); whole copies "
            f"{sum(' '.join(s) in whole for s in split) / len(split):.1%}, under 4 "
            f"words {sum(len(s) < 4 for s in split) / len(split):.1%}, lower-case "
            f"starts {sum(s[0][:1].islower() for s in split) / len(split):.1%}, "
            f"longest copied run {max(longest_run(s) for s in split)}"
        )
    ratio = results["markovify"]["seconds"] / results["llm-markov-rs"]["seconds"]
    print(f"llm-markov-rs is {ratio:.0f}x faster")


#: The pairs a sentence balances, as the README lists them.
PAIRS = {'"': '"', "“": "”", "(": ")", "[": "]", "{": "}", "«": "»", "「": "」"}
CLOSERS = {close: open_ for open_, close in PAIRS.items()}


def balanced(sentence: str) -> bool:
    """One pair open at a time, none closed before it opens, all closed."""
    open_ = None
    for char in sentence:
        if char not in PAIRS and char not in CLOSERS:
            continue
        if open_ is None and char in PAIRS:
            open_ = char
        elif (open_ is not None and CLOSERS.get(char) == open_) or char == open_ == '"':
            open_ = None
        else:
            return False
    return open_ is None


def quotes(sentence: str) -> bool:
    """Whether a sentence holds a quotation mark."""
    return '"' in sentence or "“" in sentence or "”" in sentence


def child_json(script: str, *arguments: object) -> dict:
    """What ``script``, run in a fresh interpreter with ``arguments``,
    printed as one JSON line."""
    return json.loads(python_output(script, *arguments))


def bench_steer(novel: pathlib.Path, wordnet: pathlib.Path) -> None:
    """#29's figures: sentences with the defaults against markovify (quotes,
    copies, quotations kept), contains against generating until a sentence
    holds the word, and generation with temperature or max_chars."""
    from markovify.splitters import split_into_sentences

    print(
        "\nsteering: 200 sentences at order 2 with the defaults;"
        " 100 that contain a word"
    )
    # Markovify's make_sentence() checks each sentence against the whole
    # text: generating until one holds a word is measured on the novel.
    for path, steered_word in ((novel, True), (wordnet, False)):
        text = path.read_text(encoding="utf-8")
        words = text.split()
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        # A lower-case word: one that stands inside sentences.
        word = min(
            w
            for w, n in counts.items()
            if 20 <= n <= 50 and w.isalpha() and w.islower()
        )
        sentences_of_text = split_into_sentences(text)
        whole = {" ".join(s.split()) for s in sentences_of_text}
        text_quoting = sum(map(quotes, sentences_of_text)) / len(sentences_of_text)

        longest_run = CopiedRuns(words).longest

        print(
            f"{path.name}: contains {word!r} ({counts[word]} times); "
            f"{text_quoting:.1%} of the text's sentences quote"
        )
        results = {}
        for library in ("llm-markov-rs", "markovify"):
            results[library] = child_json(
                STEERED, path, library, word if steered_word else ""
            )
        for library, result in results.items():
            made = [s for s in result["plain"] if s]
            split = [s.split() for s in made]
            over = sum(longest_run(s) > min(15, round(0.7 * len(s))) for s in split)
            holding = [s for s in result["holding"] if s]
            line = (
                f"  {library:14} build {result['build_seconds']:6.2f} s, 200 sentences "
                f"{result['plain_seconds']:6.2f} s ({len(made)} made): unbalanced "
                f"{sum(not balanced(s) for s in made)}, whole copies "
                f"{sum(' '.join(s) in whole for s in split)}, over 70% copied {over}, "
                f"quoting {sum(map(quotes, made)) / max(len(made), 1):.1%}"
            )
            if steered_word:
                line += (
                    f"; contains: {result['contains_seconds']:6.2f} s, "
                    f"{sum(word in s.split() for s in holding)} of 100 hold it, "
                    f"{result['misses']} missed"
                )
            print(line)
        if steered_word:
            ratio = (
                results["markovify"]["contains_seconds"]
                / results["llm-markov-rs"]["contains_seconds"]
            )
            print(f"  contains: llm-markov-rs is {ratio:.0f}x faster (build included)")
    # The Japanese manual pages in words mode: another script, long lines
    # as one word, a long tail.
    japanese = manual_pages()[1]
    for path, order in ((novel, 2), (wordnet, 1), (wordnet, 2), (japanese, 2)):
        first = child_json(STEERED_FIRST, path, order)
        print(
            f"a sentence in {path.name}, order {order} ({first['states']:,} states): "
            f"first walk {first['first'] * 1000:.0f} ms (the backward pass), "
            f"the next {first['again'] * 1000:.1f} ms (its plans kept)"
        )
    for option in ({"temperature": 0.7}, {"temperature": 0}, {"max_chars": 7_000_000}):
        speed = child_json(STEERED_SPEED, wordnet, json.dumps(option))
        print(
            f"generation on WordNet, order 1, {option}: "
            f"{speed['words'] / speed['seconds']:,.0f} words/s "
            f"({speed['words']:,} words)"
        )


# Runs one command and prints its peak resident memory in KiB (on Linux,
# ru_maxrss of the only child this process had) and its seconds.
PEAK = r"""
import json, resource, subprocess, sys, time
started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, capture_output=True)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_kib": peak}))
"""


def peak_of(command: list[str], env: dict[str, str]) -> dict:
    """The seconds and peak resident memory of ``command``, run alone."""
    return json.loads(python_output(PEAK, *command, env=env, what=str(command)))


def repeated_to(source: pathlib.Path, size: int) -> pathlib.Path:
    """``source`` repeated to ``size`` bytes (whole copies, at least), in
    benchmarks/data."""
    target = DATA / f"{source.stem}-{size >> 20}MB.txt"
    text = source.read_bytes()
    copies = -(-size // len(text))
    if not target.exists() or target.stat().st_size != copies * len(text):
        with open(target, "wb") as out:
            for _ in range(copies):
                out.write(text)
    return target


def shards_of(
    path: pathlib.Path, count: int, folder: pathlib.Path = DATA
) -> list[pathlib.Path]:
    """``path`` cut into ``count`` files at line starts, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = path.read_bytes()
    cuts = [0]
    for index in range(1, count):
        cuts.append(text.index(b"\n", len(text) * index // count) + 1)
    cuts.append(len(text))
    shards = []
    for index in range(count):
        shard = folder / f"{path.stem}-shard{index}.txt"
        shard.write_bytes(text[cuts[index] : cuts[index + 1]])
        shards.append(shard)
    return shards


def read_through(path: pathlib.Path) -> None:
    """Reads the file at ``path`` to its end, so that the system's page cache
    holds it (as far as it keeps that much)."""
    with open(path, "rb") as file:
        while file.read(16 << 20):
            pass


def bench_guarded_chains(
    texts: list[pathlib.Path], rounds: int, user_path: str, env: dict[str, str]
) -> None:
    """Saved chains with the copy guard's index (the default): training
    each text (time and peak memory, and the last two texts' peaks against
    each other), the file against the text, ``info``
    (which checks all of it), and a prompt of 20 words with ``max_copy``
    against ``llm --version``, against a model that writes its prompt back
    (llm's own cost of a prompt, whatever the model) and against the
    cheapest prompt to this plugin (two words to ``markov``), interleaved,
    each chain's file in the page cache as train or info leave it."""
    llm_command = [sys.executable, "-m", "llm"]
    print("\nsaved chains with the copy guard: train, info, a guarded prompt")
    names = []
    peaks = []
    for index, text in enumerate(texts):
        name = f"guarded{index}"
        names.append(name)
        trained = peak_of(
            [*llm_command, "markov", "train", name, str(text), "--force"], env
        )
        size = text.stat().st_size
        file_size = (
            (pathlib.Path(user_path) / "markov" / f"{name}.markov").stat().st_size
        )
        # A text of 4 GB is checked once: its info takes a quarter minute.
        info = medians(
            [
                peak_of([*llm_command, "markov", "info", name], env)
                for _ in range(rounds if size < 4 << 30 else 1)
            ]
        )
        peaks.append((size, trained["peak_kib"]))
        print(
            f"  {text.name} ({size / 1e6:.0f} MB): train {trained['seconds']:.2f} s "
            f"({size / 1e6 / trained['seconds']:.0f} MB/s), peak "
            f"{trained['peak_kib'] * 1024 / 1e6:.0f} MB "
            f"({trained['peak_kib'] * 1024 / size:.2f}x the text); file "
            f"{file_size / 1e6:.1f} MB ({file_size / size:.2f}x the text); info "
            f"{info['seconds']:.2f} s ({file_size / 1e6 / info['seconds']:.0f} MB/s)"
        )
    (small, small_peak), (large, large_peak) = peaks[-2:]
    print(
        f"  peak of the {large / 1e9:.2f} GB text against the {small / 1e9:.2f} GB "
        f"one's: {large_peak / small_peak:.2f}x"
    )
    prompt_commands = {
        name: [*llm_command, "-m", f"markov/{name}", "-o", "max_copy", "4", PROMPT]
        for name in names
    }
    # The largest chain is prompted apart, after the rounds: its file with
    # its text is more than some systems keep in their page cache (session
    # 28's machine kept about 8 GB), and reading it from the disk in a round
    # would evict the other chains' pages.
    largest = names[-1]
    apart = prompt_commands.pop(largest)
    # Each chain's file read through, then prompted once, untimed: the file
    # in the page cache, as train or info leave it. A walk touches a few
    # thousand pages of the index, a different few each time, so an untimed
    # prompt alone left most of them out, and a system that had evicted the
    # file meanwhile (one that keeps less page cache than the texts and
    # chains trained above) made every round read from the disk.
    chain_files = pathlib.Path(user_path) / "markov"
    for name, command in prompt_commands.items():
        read_through(chain_files / f"{name}.markov")
        time_command(command, env)
    # The machine's speed drifts by more than the figures measured here
    # (llm --version alone by 10% from one minute to the next), so each
    # round times every command back to back, and the figure is the median
    # of each round's difference from its own llm --version.
    # Every command of a round loads the same plugins, the echo model's too.
    echo_folder = pathlib.Path(tempfile.mkdtemp(prefix="markov-bench-echo-"))
    env = {**env, **install_echo_plugin(echo_folder)}
    version, echo, two_words = [], [], []
    prompts: dict[str, list[float]] = {name: [] for name in names}
    try:
        for _ in range(max(rounds, PROMPT_ROUNDS)):
            version.append(time_command([*llm_command, "--version"], env))
            echo.append(time_command([*llm_command, "-m", "echo", "a b"], env))
            two_words.append(time_command([*llm_command, "-m", "markov", "a b"], env))
            for name, command in prompt_commands.items():
                prompts[name].append(time_command(command, env))
        read_through(chain_files / f"{largest}.markov")
        time_command(apart, env)
        largest_version, largest_prompt = [], []
        for _ in range(max(rounds, PROMPT_ROUNDS)):
            largest_version.append(time_command([*llm_command, "--version"], env))
            largest_prompt.append(time_command(apart, env))
    finally:
        shutil.rmtree(echo_folder, ignore_errors=True)

    def over(times: list[float], base: list[float]) -> str:
        """The median of the rounds' differences, and their middle half: a
        machine's spread can be wider than the 30 ms a guarded prompt is
        allowed, which a median alone hides."""
        differences = [(t - b) * 1000 for t, b in zip(times, base, strict=True)]
        median = statistics.median(differences)
        if len(differences) < 4:
            return f"{median:+.0f} ms"
        low, _, high = statistics.quantiles(differences, n=4)
        return f"{median:+.0f} ms (middle half {low:+.0f} to {high:+.0f})"

    print(
        f"  llm --version: {statistics.median(version):.3f} s (median of "
        f"{len(version)} rounds, each timing every command below once)"
    )
    print(
        f"  llm -m echo 'a b' (a model that writes its prompt back: llm's own "
        f"cost of a prompt): {over(echo, version)} over llm --version (the "
        "median of the rounds' differences)"
    )
    print(
        f"  llm -m markov 'a b': {over(two_words, version)} over llm --version, "
        f"{over(two_words, echo)} over llm -m echo 'a b'"
    )
    for text, name in zip(texts, names, strict=True):
        if name == largest:
            print(
                f"  llm -m markov/{name} -o max_copy 4 ({text.name}), in rounds of "
                f"its own after the others: {over(largest_prompt, largest_version)} "
                "over llm --version"
            )
            continue
        print(
            f"  llm -m markov/{name} -o max_copy 4 ({text.name}): "
            f"{over(prompts[name], version)} over llm --version, "
            f"{over(prompts[name], echo)} over llm -m echo 'a b', "
            f"{over(prompts[name], two_words)} over llm -m markov 'a b'"
        )


def bench_many_files(
    wordnet: pathlib.Path, rounds: int, llm_command: list[str], env: dict[str, str]
) -> None:
    """Training WordNet cut into 4,000 files against training it in one, as
    a corpus of one file a post or a page is trained: each file is a
    document, merged into the chain of those before."""
    print("\ntraining wordnet.txt in 4,000 files against one file, medians")
    files = shards_of(wordnet, 4000, DATA / "wordnet-4000-files")
    for flag, label in (
        ([], "with the copy guard"),
        (["--no-copy-guard"], "without it"),
    ):
        timed = {}
        for name, sources in (("many", files), ("one", [wordnet])):
            command = [
                *llm_command,
                "train",
                name,
                *map(str, sources),
                *flag,
                "--force",
            ]
            timed[name] = medians([peak_of(command, env) for _ in range(rounds)])
        many, one = timed["many"]["seconds"], timed["one"]["seconds"]
        print(
            f"  {label}: 4,000 files {many:.2f} s, one file {one:.2f} s: "
            f"{many / one:.2f}x"
        )


def bench_scale(wordnet: pathlib.Path, single: pathlib.Path, rounds: int) -> None:
    """Chains that grow: training in bounded memory on generated texts of
    256 MB, 1 GB and 4 GB (WordNet repeated, without the copy guard, as
    llm markov train runs), merging 8 shards of WordNet against training it
    whole, training it in 4,000 files against one, and what the order and
    the threads cost."""
    user_path = tempfile.mkdtemp(prefix="markov-bench-")
    env = {**os.environ, "LLM_USER_PATH": user_path}
    llm_command = [sys.executable, "-m", "llm", "markov"]
    try:
        print("\nscale: llm markov train --no-copy-guard, peak RSS of the process")
        peaks = {}
        for size in (256 << 20, 1 << 30, 4 << 30):
            text = repeated_to(wordnet, size)
            # The 4 GB text once: it takes half a minute a round.
            runs = [
                peak_of(
                    [
                        *llm_command,
                        "train",
                        "big",
                        str(text),
                        "--no-copy-guard",
                        "--force",
                    ],
                    env,
                )
                for _ in range(rounds if size < 4 << 30 else 1)
            ]
            figures = medians(runs)
            chain_mb = (
                pathlib.Path(user_path) / "markov" / "big.markov"
            ).stat().st_size / 1e6
            peak_mb = figures["peak_kib"] * 1024 / 1e6
            peaks[size] = peak_mb
            print(
                f"  {text.stat().st_size / 1e9:5.2f} GB: {figures['seconds']:6.2f} s "
                f"({text.stat().st_size / 1e6 / figures['seconds']:.0f} MB/s), peak "
                f"{peak_mb:.0f} MB, {peak_mb - chain_mb:.0f} MB above the chain "
                f"({chain_mb:.1f} MB saved)"
            )
        print(f"  4 GB peak against 1 GB: {peaks[4 << 30] / peaks[1 << 30]:.2f}x")
        bench_guarded_chains(
            [wordnet, repeated_to(wordnet, 1 << 30), repeated_to(wordnet, 4 << 30)],
            rounds,
            user_path,
            env,
        )

        print("\nmerging 8 shards of wordnet.txt against training it whole, medians")
        shards = shards_of(wordnet, 8)
        for flag, label in (
            ([], "with the copy guard"),
            (["--no-copy-guard"], "without it"),
        ):
            for index, shard in enumerate(shards):
                peak_of(
                    [
                        *llm_command,
                        "train",
                        f"shard{index}",
                        str(shard),
                        *flag,
                        "--force",
                    ],
                    env,
                )
            names = [f"shard{index}" for index in range(len(shards))]
            merge = medians(
                [
                    peak_of([*llm_command, "merge", "merged", *names, "--force"], env)
                    for _ in range(rounds)
                ]
            )
            whole = medians(
                [
                    peak_of(
                        [
                            *llm_command,
                            "train",
                            "whole",
                            str(wordnet),
                            *flag,
                            "--force",
                        ],
                        env,
                    )
                    for _ in range(rounds)
                ]
            )
            print(
                f"  {label}: merge {merge['seconds']:.2f} s, train "
                f"{whole['seconds']:.2f} s: {merge['seconds'] / whole['seconds']:.2f}x"
            )

        bench_many_files(wordnet, rounds, llm_command, env)

        print("\nfile size against the order (the novel, --no-copy-guard)")
        sizes = {}
        for order in (1, 3, 10, 30):
            peak_of(
                [
                    *llm_command,
                    "train",
                    f"order{order}",
                    str(single),
                    "--no-copy-guard",
                    "--order",
                    str(order),
                    "--force",
                ],
                env,
            )
            sizes[order] = (
                (pathlib.Path(user_path) / "markov" / f"order{order}.markov")
                .stat()
                .st_size
            )
        print(
            "  " + ", ".join(f"order {o}: {b / 1e6:.1f} MB" for o, b in sizes.items())
        )
        print(f"  order 30 against order 3: {sizes[30] / sizes[3]:.2f}x")

        print(
            "\nbuild memory against threads (wordnet.txt, order 3, extra over the text)"
        )
        extra = {}
        for threads in (2, 64):
            child_env = {**os.environ, "LLM_MARKOV_THREADS": str(threads)}
            runs = []
            for _ in range(rounds):
                runs.append(
                    run_child(wordnet, "llm-markov-rs order 3", user_path, child_env)
                )
            extra[threads] = medians(runs)["step_kib"] * 1024 / wordnet.stat().st_size
        print(
            f"  2 threads: {extra[2]:.2f}x the text, 64 threads: {extra[64]:.2f}x "
            f"({extra[64] / extra[2]:.2f}x)"
        )
    finally:
        shutil.rmtree(user_path, ignore_errors=True)


def registration_cost(path: pathlib.Path, rounds: int) -> str:
    """What 200 saved chains add to llm's registering of models, which it
    does on every command: medians, in fresh processes."""
    with tempfile.TemporaryDirectory(prefix="markov-bench-") as user_path:
        env = {**os.environ, "LLM_USER_PATH": user_path}

        def register_seconds() -> float:
            return seconds_printed(REGISTER, env=env)

        samples = max(rounds, 9)
        without = statistics.median(register_seconds() for _ in range(samples))
        folder = pathlib.Path(user_path) / "markov"
        folder.mkdir()
        for number in range(200):
            (folder / f"chain-{number:03}.markov").write_bytes(b"never read")
        with_200 = statistics.median(register_seconds() for _ in range(samples))
    return (
        f"registering models: {without * 1000:.2f} ms with no saved chain, "
        f"{with_200 * 1000:.2f} ms with 200 ({(with_200 - without) * 1000:+.2f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--corpus",
        choices=[
            "sherlock",
            "wordnet",
            "speed",
            "general",
            "tokens",
            "guard",
            "scale",
            "steer",
            "all",
        ],
        default="all",
        help="which large corpus to measure, or the token modes (default: all)",
    )
    args = parser.parse_args()
    compile_plugin()
    single, repeated, wordnet = make_corpora()
    rounds = args.rounds
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
    markovify = has_markovify()
    if not markovify:
        print("markovify is not installed: skipped (pip install --group bench)")
    if args.corpus in ("sherlock", "all"):
        bench_corpus(repeated, rounds, markovify)
    if args.corpus in ("wordnet", "all"):
        bench_corpus(wordnet, rounds, markovify=False)
    if args.corpus in ("speed", "all"):
        bench_speed([repeated, wordnet, high_vocabulary_text()], rounds)
    if args.corpus in ("general", "all"):
        # Texts outside the speed issue's three, for a change meant for
        # text in general: the same figures, the same targets.
        general = [request_log_text(), compound_word_text(), *manual_pages()]
        bench_speed(general, rounds, heading="general texts")
    if args.corpus in ("tokens", "all"):
        bench_tokens(repeated, wordnet, rounds)
    if args.corpus in ("guard", "all"):
        bench_guard(wordnet, rounds)
        if has_markovify():
            bench_sentences(single)
    if args.corpus in ("scale", "all"):
        bench_scale(wordnet, single, rounds)
    if args.corpus in ("steer", "all") and markovify:
        bench_steer(single, wordnet)
    if args.corpus in ("speed", "general", "tokens", "guard", "scale", "steer"):
        return

    speeds = []
    for _ in range(rounds):
        speeds.append(1_000_000 / seconds_printed(GENERATE, str(single)))
    print(
        f"\ngeneration: {statistics.median(speeds):,.0f} words/s "
        "(1,000,000 words through model.prompt(...).text(), median)"
    )
    print(registration_cost(single, rounds))
    imports = [plugin_import_ms() for _ in range(rounds)]
    print(
        f"plugin import: {statistics.median(imports):.2f} ms"
        " on top of llm's own import (median)"
    )
    registrations = [first_registration_ms() for _ in range(max(rounds, 9))]
    print(
        f"the plugin's models registered, first time in a process: "
        f"{statistics.median(registrations):.2f} ms (median; llm does it on its "
        "first lookup of any model)"
    )


if __name__ == "__main__":
    main()
