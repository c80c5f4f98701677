# Sourced by the other scripts: makes .venv (once), installs the development
# tools into it, builds the extension into it, and puts it first on PATH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d .venv ]; then
    "${PYTHON:-python3}" -m venv .venv
fi
if [ -d .venv/Scripts ]; then venv_bin=.venv/Scripts; else venv_bin=.venv/bin; fi
export VIRTUAL_ENV="$PWD/.venv"
export PATH="$PWD/$venv_bin:$PATH"

# Runs a command with its output kept back, and shows it only if it fails:
# setting up should not bury what the scripts are for.
quietly() {
    local log status=0
    log="$(mktemp)"
    "$@" >"$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        cat "$log" >&2
        echo "failed ($status): $*" >&2
    fi
    rm -f "$log"
    return "$status"
}

echo "setting up .venv and building the extension (the first time takes a few minutes)" >&2
# --group needs pip 25.1 or later.
quietly python -m pip install --disable-pip-version-check --upgrade "pip>=25.1"
quietly python -m pip install --disable-pip-version-check --group dev
# clippy and rustfmt are separate rustup components on some installs.
if command -v rustup >/dev/null; then
    rustup component add clippy rustfmt >/dev/null 2>&1 || true
fi
# fault-injection: a test-only way to panic inside a build worker (see
# Cargo.toml); the release wheels are built without it. Giving features on
# the command line replaces those in pyproject.toml, hence "python" again.
quietly maturin develop --release --features python,fault-injection
