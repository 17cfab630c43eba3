#!/usr/bin/env bash
# The one command that installs every test dependency and runs all of Sluice's tests:
#   Rust unit/integration tests, the Python end-to-end suite (boto3, aws CLI, CBOR, crash
#   test, Video Streams with ffmpeg) and the JavaScript suite (the JS SDK over HTTP/2 cleartext
#   and HTTP/1.1, and hls.js in headless Chromium playing Video Streams' HLS sessions), and
#   kinesalite's mocha suite pointed at Sluice.
#
# Works from any directory on a fresh Debian machine that has the Rust toolchain.
# System packages (python3-venv, nodejs/npm, ffmpeg, chromium) are installed only when missing, and only
# when running as root or with password-less sudo.
#
# Environment:
#   SKIP_CARGO_TEST=1   skip `cargo test --workspace`
#   SKIP_JS=1           skip the JavaScript suite
#   PYTEST_ARGS="..."   extra arguments for pytest (e.g. "-k crash -x")
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

section() {
  printf '\n==================== %s ====================\n' "$*"
}

# ---------------------------------------------------------------------------
section "System dependencies"
SUDO=""
CAN_APT=0
if [ "$(id -u)" -eq 0 ]; then
  CAN_APT=1
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
  CAN_APT=1
fi
command -v apt-get >/dev/null 2>&1 || CAN_APT=0

missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
# ffmpeg produces and checks the Video Streams tests' media; Chromium runs hls.js against them.
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$CAN_APT" -eq 1 ]; then
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "missing system packages: ${missing[*]} (not root and no password-less sudo; install them and rerun)" >&2
    exit 1
  fi
else
  echo "python3, venv, node, npm, ffmpeg and chromium present"
fi
echo "python3: $(python3 --version 2>&1)   node: $(node --version)   npm: $(npm --version 2>/dev/null)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "warning: node $(node --version) is older than the AWS SDK's supported minimum (20)" >&2
fi

# ---------------------------------------------------------------------------
section "Python virtualenv (.venv)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r tests/e2e/python/requirements.txt
.venv/bin/python -m pip list --disable-pip-version-check 2>/dev/null | grep -Ei '^(boto3|botocore|awscli|pytest|cbor2) ' || true

# ---------------------------------------------------------------------------
section "JavaScript dependencies (tests/e2e/js)"
if [ "${SKIP_JS:-0}" != "1" ]; then
  if [ -f tests/e2e/js/package-lock.json ]; then
    (cd tests/e2e/js && npm ci --no-audit --no-fund --loglevel=error)
  else
    (cd tests/e2e/js && npm install --no-audit --no-fund --loglevel=error)
  fi
else
  echo "skipped (SKIP_JS=1)"
fi

# ---------------------------------------------------------------------------
section "cargo build --bin sluice"
cargo build --bin sluice

# From here on, run every suite even if an earlier one fails, then report.
failed=()

section "cargo test --workspace"
if [ "${SKIP_CARGO_TEST:-0}" != "1" ]; then
  cargo test --workspace || failed+=("cargo test")
else
  echo "skipped (SKIP_CARGO_TEST=1)"
fi

section "Python end-to-end tests (pytest tests/e2e/python)"
# shellcheck disable=SC2086
# The output is kept in target/pytest.log so the summary can name the failed tests.
mkdir -p target
SLUICE_BIN=target/debug/sluice PYTHONDONTWRITEBYTECODE=1 \
  .venv/bin/python -m pytest -q -rfE -p no:cacheprovider tests/e2e/python ${PYTEST_ARGS:-} \
  2>&1 | tee target/pytest.log || failed+=("pytest")

section "JavaScript end-to-end tests (node --test tests/e2e/js/)"
if [ "${SKIP_JS:-0}" != "1" ]; then
  SLUICE_BIN=target/debug/sluice node --test tests/e2e/js/*.test.mjs || failed+=("node --test")
else
  echo "skipped (SKIP_JS=1)"
fi

section "kinesalite's mocha suite against Sluice (tests/kinesalite)"
# kinesalite's own tests (recorded against real AWS), unchanged; its server is Sluice
# (tests/kinesalite/index.js). Known differences are listed, with reasons, in
# tests/kinesalite/expected-failures.json; any other failure fails the run.
if [ "${SKIP_JS:-0}" != "1" ]; then
  (cd tests/kinesalite && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi) \
    && SLUICE_BIN=target/debug/sluice node tests/kinesalite/run.js || failed+=("kinesalite suite")
else
  echo "skipped (SKIP_JS=1)"
fi

section "Summary"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  if [[ " ${failed[*]} " == *" pytest "* ]]; then
    echo "pytest's failures (short summary, from target/pytest.log):"
    grep -E '^(FAILED|ERROR) ' target/pytest.log | cut -c1-400 || true
  fi
  exit 1
fi
echo "all test suites passed"
