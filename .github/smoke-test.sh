#!/bin/sh
# Installs one built wheel or sdist into a fresh virtual environment next to
# a fresh llm, runs a prompt, trains and prompts a saved chain, and
# uninstalls it: what a user does first.
# Usage: sh .github/smoke-test.sh dist/llm_markov_rs-*.whl
# POSIX sh, so that it also runs in Alpine (musllinux) containers.
set -eu
artifact="$1"
python="${PYTHON:-python3}"
prompt="the cat sat on the mat and the dog sat on the cat"
LLM_USER_PATH="$PWD/smoke-user"
export LLM_USER_PATH
"$python" -m venv smoke-venv
if [ -d smoke-venv/Scripts ]; then bin=smoke-venv/Scripts; else bin=smoke-venv/bin; fi
"$bin/python" -m pip install --quiet --disable-pip-version-check llm
"$bin/llm" install "$artifact"
"$bin/llm" plugins | grep -q '"llm-markov-rs"'
"$bin/llm" -m markov -o length 20 -o seed 1 "$prompt"
echo "$prompt" | "$bin/llm" markov train smoke
"$bin/llm" -m markov/smoke -o length 10 -o seed 1 "the cat"
"$bin/llm" markov remove smoke
"$bin/llm" uninstall llm-markov-rs -y
rm -rf smoke-venv smoke-user
