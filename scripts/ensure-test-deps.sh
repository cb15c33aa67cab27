#!/usr/bin/env bash
# Make sure what the test suite needs outside Python is present:
#  - PostgreSQL reachable (tests fail, never skip, without it);
#  - Debian's chromium for the dashboard's end-to-end tests (installed if missing).
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

PG="${HOUSELIGHTS_TEST_PG:-postgresql://postgres@127.0.0.1:5432/test}"
if ! .venv/bin/python -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=5).close()" "$PG" 2>/dev/null; then
  echo "PostgreSQL is not reachable at $PG." >&2
  echo "Start it (e.g. pg_ctlcluster <version> main start) or set HOUSELIGHTS_TEST_PG." >&2
  exit 1
fi
