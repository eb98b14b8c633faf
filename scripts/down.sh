#!/usr/bin/env bash
# `npm run down`: reset the control plane `npm run up` made under ./.kubeforge.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node bin/kubeforge.js reset --root "$PWD/.kubeforge" -f "$@"
