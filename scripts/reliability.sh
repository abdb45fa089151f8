#!/usr/bin/env bash
# The reliability harnesses (tests/reliability): hostile-input fuzzing of the CLI readers
# and of every API operation (hypothesis, schemathesis), and the crash campaign (SIGKILL at
# random points of a campaign, opt-outs, an import, a registry load and a key rotation, on
# SQLite and PostgreSQL). See RELIABILITY.md.
#
#   bash scripts/reliability.sh            the short run (the size CI runs in the suite)
#   bash scripts/reliability.sh --long     the long run: many more kills and fuzz cases
#   bash scripts/reliability.sh --long -k crash    extra arguments go to pytest
#
# --long also runs the distributed mode at its long size (LEXDIAL_DIST_LONG=1,
# tests/integration/distributed: 20 000 contacts, 5 000 opt-outs racing the dialling, issue
# 15), after the harnesses and with its figures printed; extra arguments are not given to it.
#
# The figures (kills, fuzz cases, ...) are printed at the end and written to
# reliability-figures.json (or $LEXDIAL_RELIABILITY_FIGURES). LEXDIAL_RELIABILITY_SEED
# changes where the kills fall.
set -euo pipefail
cd "$(dirname "$0")/.."
long=
if [ "${1:-}" = "--long" ]; then
  export LEXDIAL_RELIABILITY=long
  long=1
  shift
else
  unset LEXDIAL_RELIABILITY
fi
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
bash scripts/services.sh
export LEXDIAL_RELIABILITY_FIGURES="${LEXDIAL_RELIABILITY_FIGURES:-reliability-figures.json}"
status=0
.venv/bin/python -m pytest tests/reliability -q -p no:randomly "$@" || status=$?
if [ -n "$long" ]; then  # (for dist-clock)
  LEXDIAL_DIST_LONG=1 .venv/bin/python -m pytest tests/integration/distributed -q -s \
    -p no:randomly || status=$?
fi
exit "$status"
