#!/usr/bin/env bash
# Set up a virtualenv (.venv) with the test tools and run every check CI runs:
# ruff and mypy --strict on src/, then the whole pytest suite (warnings are errors).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
bash scripts/services.sh
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"
