#!/usr/bin/env bash
# Install the pinned js-ipfs node (npm ipfs@0.66.1) that mlmarket's storage
# integration tests and benchmark start offline on loopback.
#
# Idempotent: does nothing when node_modules already matches package-lock.json.
# `npm install` (not `npm ci`) is deliberate: `npm ci` fails on an optional
# dependency that points at a GitHub tarball, which this network cannot reach.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install.sh: node and npm are required (Node.js >= 18; tested with 20)" >&2
    exit 1
fi

stamp="node_modules/.mlmarket-lock.sha256"
want="$(sha256sum package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [[ -x node_modules/.bin/jsipfs && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "js-ipfs node already installed in $here"
    exit 0
fi

npm install --no-audit --no-fund --loglevel=error
test -x node_modules/.bin/jsipfs
echo "$want" > "$stamp"
echo "js-ipfs node installed in $here"
