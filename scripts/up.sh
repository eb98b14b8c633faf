#!/usr/bin/env bash
# `npm run up`: install what is missing, build, and bring up a single-node control plane
# under ./.kubeforge on 127.0.0.2.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run --silent build
exec node bin/kubeforge.js init --root "$PWD/.kubeforge" --apiserver-advertise-address 127.0.0.2 --node-name cp1 "$@"
