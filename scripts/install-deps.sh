#!/usr/bin/env bash
# Installs what kubeforge needs and is missing: the npm packages, the etcd server and client
# (Debian's etcd-server etcd-client), and what runs pods: containerd, runc, the CNI plugins,
# iptables, and the static binaries kubeforge builds its offline pause and test images from
# (catatonit, busybox-static). As root it installs etcd itself; otherwise it prints the
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

# etcd is required; Debian's Python client is one of the outside clients the API server is
# tested with (its tests fail without it).
need_etcd=""
command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 || need_etcd="etcd-server etcd-client"
need_python=""
/usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1 || need_python="python3-kubernetes"
# Pods: each node runs its own containerd (Debian's 1.6) with runc and the CNI plugins in /usr/lib/cni.
need_runtime=""
command -v containerd >/dev/null 2>&1 || need_runtime="$need_runtime containerd"
command -v runc >/dev/null 2>&1 || need_runtime="$need_runtime runc"
[ -x /usr/lib/cni/bridge ] || need_runtime="$need_runtime containernetworking-plugins"
command -v iptables >/dev/null 2>&1 || need_runtime="$need_runtime iptables"
[ -x /usr/bin/catatonit ] || need_runtime="$need_runtime catatonit"
[ -x /bin/busybox ] || need_runtime="$need_runtime busybox-static"
packages="$need_etcd $need_python $need_runtime"

if [ -n "${packages// /}" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "[deps] installing $packages (apt-get)" >&2
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >&2
  elif [ -n "$need_etcd" ]; then
    echo "kubeforge needs etcd. Install it with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y $packages" >&2
    exit 1
  elif [ -n "${need_runtime// /}" ]; then
    echo "[deps] pods need:$need_runtime (sudo apt-get install -y$need_runtime); without them only the control plane runs" >&2
  else
    echo "[deps] python3-kubernetes is missing: its client tests will fail (sudo apt-get install -y python3-kubernetes)" >&2
  fi
fi
