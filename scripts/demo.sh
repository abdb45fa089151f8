#!/usr/bin/env bash
# Set up a virtualenv (.venv) and run the main job: a whole sample reminder campaign over
# the simulated carrier, with its report. Needs only python3 (>= 3.11) and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/lexdial demo "$@"
