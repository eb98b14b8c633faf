#!/usr/bin/env bash
# Installs what kubeforge needs and is missing: the npm packages and the etcd server and client
# (Debian's etcd-server etcd-client). As root it installs etcd itself; otherwise it prints the
# exact command to run. Used by `npm run up`, `npm test` (pretest) and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] npm ci" >&2
  # A registry mirror that lacks other platforms' optional packages (rollup's native builds)
  # makes npm record them in the lock without entries, which `npm ci` then refuses; `npm install`
  # resolves the same locked versions and skips what this platform does not need.
  if ! npm ci --no-audit --no-fund >&2; then
    echo "[deps] npm ci refused the lock file; installing with npm install instead" >&2
    npm install --no-audit --no-fund >&2
  fi
fi

if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "[deps] installing etcd-server etcd-client (apt-get)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server etcd-client >&2
  else
    echo "kubeforge needs etcd. Install it with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y etcd-server etcd-client" >&2
    exit 1
  fi
fi
