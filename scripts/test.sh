#!/usr/bin/env bash
# Set up a virtualenv (.venv) with the test tools and run every check CI runs:
# ruff and mypy --strict on src/, the import contracts of ARCHITECTURE.md (lint-imports),
# then the whole pytest suite (warnings are errors).
# Starts PostgreSQL if it is down and installs the SIP test peers (baresip, SIPp) and
# Chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
bash scripts/services.sh
# baresip + SIPp for the SIP tests (apt-get; needs root or sudo). Without them the SIP tests
# are skipped on a developer machine and fail under CI, which must have them.
bash scripts/telephony.sh || echo "test.sh: SIP tools could not be installed (see above)" >&2
# Chromium + ChromeDriver for the dashboard's browser tests (same rule: skipped without them
# on a developer machine, failing under CI)
bash scripts/browser.sh || echo "test.sh: Chromium could not be installed (see above)" >&2
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src
.venv/bin/mypy
.venv/bin/lint-imports --no-logo
exec .venv/bin/python -m pytest -q "$@"
