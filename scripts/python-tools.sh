#!/usr/bin/env bash
# Installs the pinned Python test tools (scim2-tester, scim2-cli, scim2-server, schemathesis) into a virtualenv in a cache OUTSIDE
# the repository, keyed by the hash of the requirements file. A warm cache makes this a no-op; a lock stops two
# parallel runs from building the same virtualenv. Prints the virtualenv's bin directory as its last line of stdout.
#
# Python itself must be there (python3 >= 3.10; PYTHON overrides the interpreter). The virtualenv is made with
# `python3 -m venv`; where that fails because ensurepip is missing (Debian without python3-venv), it is made with a
# pinned `virtualenv`, fetched with the system pip into the cache (`pip install --target`, which PEP 668 allows).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REQUIREMENTS=${SCIM_OPERATOR_PYTHON_REQUIREMENTS:-$ROOT/test/python-requirements.txt}
PYTHON=${PYTHON:-python3}
CACHE=${SCIM_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scim-operator}
# Only used when `python3 -m venv` cannot make a virtualenv with pip; virtualenv bundles its own pip wheel.
VIRTUALENV_PINS="virtualenv==21.15.11 distlib==0.4.4 filelock==4.3.1 packaging==26.4 platformdirs==4.14.8 python-discovery==1.9.6"

log() { echo "[python tools] $*" >&2; }
fail() {
  log "$*"
  exit 3
}

[ -f "$REQUIREMENTS" ] || fail "requirements file $REQUIREMENTS not found"
HASH=$(sha256sum "$REQUIREMENTS" | cut -c1-16)
VENV="$CACHE/python/$HASH"
# Written last, so a virtualenv without it is an interrupted build and is made again.
MARKER="$VENV/.installed"

is_warm() { [ -f "$MARKER" ] && "$VENV/bin/python" -c '' >/dev/null 2>&1; }

if is_warm; then
  echo "$VENV/bin"
  exit 0
fi

command -v "$PYTHON" >/dev/null 2>&1 ||
  fail "$PYTHON not found. Install Python 3.10 or later (Debian/Ubuntu: apt-get install python3 python3-venv)."
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
  fail "$("$PYTHON" --version 2>&1) is too old: the SCIM tools need Python 3.10 or later."

mkdir -p "$CACHE/python"
exec 9>"$CACHE/python/$HASH.lock"
if ! flock -n 9; then
  log "another run is installing the Python tools; waiting for it"
  flock 9
fi
if is_warm; then
  echo "$VENV/bin"
  exit 0
fi

make_venv_with_virtualenv() {
  local bootstrap="$CACHE/python/virtualenv-$(echo "$VIRTUALENV_PINS" | sha256sum | cut -c1-16)"
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    fail "cannot make a virtualenv: '$PYTHON -m venv' failed (ensurepip missing) and there is no pip to fetch" \
      "virtualenv with. On Debian/Ubuntu: apt-get install python3-venv (or python3-pip)."
  fi
  if [ ! -f "$bootstrap/.installed" ]; then
    log "installing virtualenv into $bootstrap"
    rm -rf "$bootstrap"
    # shellcheck disable=SC2086 # the pins are separate words
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-input --target "$bootstrap" $VIRTUALENV_PINS >&2
    touch "$bootstrap/.installed"
  fi
  PYTHONPATH="$bootstrap" "$PYTHON" -m virtualenv --quiet --no-periodic-update "$VENV" >&2
}

START=$(date +%s)
rm -rf "$VENV"
if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>"$CACHE/python/$HASH.venv.log"; then
  log "'$PYTHON -m venv' failed: $(tail -n 3 "$CACHE/python/$HASH.venv.log" | tr '\n' ' ')"
  log "making the virtualenv with virtualenv instead"
  rm -rf "$VENV"
  make_venv_with_virtualenv
fi
rm -f "$CACHE/python/$HASH.venv.log"

log "installing $(grep -cE '^[A-Za-z]' "$REQUIREMENTS") pinned packages from ${REQUIREMENTS#"$ROOT"/} into $VENV"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet --no-input -r "$REQUIREMENTS" >&2
"$VENV/bin/python" -m pip check >&2 || fail "the pinned requirements are inconsistent (pip check above)"
[ -x "$VENV/bin/scim" ] || fail "scim2-cli installed no 'scim' command into $VENV/bin"
[ -x "$VENV/bin/schemathesis" ] || fail "schemathesis installed no 'schemathesis' command into $VENV/bin"
touch "$MARKER"
log "installed in $(($(date +%s) - START)) s"
echo "$VENV/bin"
