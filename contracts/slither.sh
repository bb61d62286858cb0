#!/usr/bin/env bash
# Static analysis of contracts/src with Slither. Exits nonzero on any
# high-impact finding (or on any failure to install, compile or analyse).
#
# Slither lives in its own venv, <repo>/.venv-slither (override with
# MLMARKET_SLITHER_VENV), created here on first use from
# tools/slither-requirements.txt: it pins web3 < 8, so it can never share the
# project venv. It compiles through forge (from contracts/node_modules, see
# foundry.toml), which uses tools/solc, a wrapper around the pinned solcjs.
# Extra arguments are passed on to slither, e.g. ./slither.sh --json -
set -euo pipefail

contracts_dir=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname -- "$contracts_dir")
venv=${MLMARKET_SLITHER_VENV:-$repo_dir/.venv-slither}
requirements=$contracts_dir/tools/slither-requirements.txt
stamp=$venv/.mlmarket-requirements
python=${PYTHON:-python3}

if [[ ! -x $venv/bin/slither ]] || ! cmp -s "$requirements" "$stamp"; then
  echo "slither.sh: installing $(grep -c '==' "$requirements") pinned packages into $venv" >&2
  [[ -x $venv/bin/python ]] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi

forge=${FORGE:-}
if [[ -z $forge ]]; then
  for candidate in "$contracts_dir"/node_modules/@foundry-rs/forge-*/bin/forge; do
    [[ -x $candidate ]] && forge=$candidate && break
  done
fi
if [[ -z $forge || ! -x $forge ]]; then
  echo "slither.sh: forge not found under contracts/node_modules; run npm ci in contracts/" >&2
  exit 1
fi

cd "$contracts_dir"
# Only forge's own directory goes in front of PATH. The venv's bin (which holds
# solc-select's downloading `solc` shim) is never put on PATH.
export PATH="$(dirname -- "$forge"):$PATH"
exec "$venv/bin/slither" . \
  --compile-force-framework foundry \
  --foundry-compile-all \
  --filter-paths 'node_modules/' \
  --fail-medium \
  "$@"
