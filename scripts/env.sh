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

# --group needs pip 25.1 or later.
python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25.1"
python -m pip install --quiet --disable-pip-version-check --group dev
# clippy and rustfmt are separate rustup components on some installs.
if command -v rustup >/dev/null; then
    rustup component add clippy rustfmt >/dev/null 2>&1 || true
fi
maturin develop --release --quiet
