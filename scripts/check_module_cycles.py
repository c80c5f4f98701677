"""Fails if the Rust modules under src/ break the crate's layers or import
each other in a cycle.

Each file is a module. An edge goes from a module to every module it names
in code (``use crate::a::b``, ``crate::a::f()``, ``use super::x``); doc
comments and comments do not count, nor does a parent's ``mod child;``.
Each top-level module belongs to one of ``LAYERS``, and uses only modules
of its own layer or those below; within a layer, and among a folder's
files, no cycle.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src"

#: The crate's layers, bottom first: each top-level module (a file, or a
#: folder with its files) by name. CONTRIBUTING.md describes each.
LAYERS = (
    # What a chain is and the plain parts it is made of, with the options
    # and watch that a long computation takes, and the threads it runs on.
    [
        "limits",
        "error",
        "rng",
        "tokenize",
        "tokens",
        "ascii_words",
        "bit_set",
        "sampled_search",
        "stored",
        "parallel",
        "vocabulary",
        "sentence",
        "sentence_distances",
        "state_words",
        "build_options",
        "suffix_array",
        "copy_index",
        "chain",
    ],
    # Building chains: cutting text into tokens, interning, linking, merging.
    [
        "segment",
        "packed_table",
        "interner",
        "corpus",
        "link",
        "build",
        "merge",
        "growing",
    ],
    # Using them: walks, the copy guard, steering, the file format.
    ["walk", "continuation", "copy_guard", "temperature", "steer", "chain_file"],
    # The Python bindings.
    ["python"],
)
PATH = re.compile(r"\b(crate|super)((?:::[a-z_][a-z0-9_]*)+)")


def module_of(file: Path) -> tuple[str, ...]:
    """``src/a/b.rs`` and ``src/a/b/mod.rs`` are ``("a", "b")``."""
    parts = file.relative_to(SOURCE).with_suffix("").parts
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return tuple(parts)


def code_lines(text: str) -> list[str]:
    """The lines of ``text`` with comments cut off, up to its unit tests
    (``#[cfg(test)] mod tests``, last in a file by this crate's habit):
    tests may build what they test with modules of any layer."""
    text = text.split("#[cfg(test)]\nmod tests", 1)[0]
    return [line.split("//", 1)[0] for line in text.splitlines()]


def main() -> int:
    """Print any cycle and return 1, else return 0 quietly."""
    modules = {module_of(file): file for file in SOURCE.rglob("*.rs")}
    edges: dict[tuple[str, ...], set[tuple[str, ...]]] = {m: set() for m in modules}
    for module, file in modules.items():
        is_folder = file.name in ("mod.rs", "lib.rs")
        for line in code_lines(file.read_text(encoding="utf-8")):
            for root, rest in PATH.findall(line):
                names = rest.strip(":").split("::")
                if root == "crate":
                    base: tuple[str, ...] = ()
                else:
                    base = module if is_folder else module[:-1]
                # The longest prefix of the path that is a module.
                target = base
                for name in names:
                    if (*target, name) in modules:
                        target = (*target, name)
                    else:
                        break
                if target != module and target in modules and target:
                    edges[module].add(target)
    layer_of = {name: level for level, names in enumerate(LAYERS) for name in names}
    failed = False
    for module in sorted(modules):
        if module and module[0] not in layer_of:
            print(f"{'::'.join(module)} is in no layer: add it to LAYERS")
            failed = True
    for module, targets in sorted(edges.items()):
        for target in sorted(targets):
            source_layer = layer_of.get(module[0])
            target_layer = layer_of.get(target[0])
            if (
                source_layer is not None
                and target_layer is not None
                and target_layer > source_layer
            ):
                print(f"{'::'.join(module)} uses {'::'.join(target)}, a layer above it")
                failed = True
    cycle = find_cycle(edges)
    if cycle:
        print("module cycle: " + " -> ".join("::".join(m) for m in cycle))
        failed = True
    return 1 if failed else 0


def find_cycle(
    edges: dict[tuple[str, ...], set[tuple[str, ...]]],
) -> list[tuple[str, ...]] | None:
    """One cycle of ``edges``, as a path that ends where it starts."""
    state: dict[tuple[str, ...], int] = {}
    stack: list[tuple[str, ...]] = []

    def visit(node: tuple[str, ...]) -> list[tuple[str, ...]] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


if __name__ == "__main__":
    sys.exit(main())
