/**
 * kubeadm's pre-flight checks (cmd/kubeadm/app/preflight/checks.go). A check is data — a kubeadm
 * name and an async `run` returning errors and warnings — and `initChecks` / `joinChecks` list
 * them in kubeadm's order; `runPreflight` runs a list, prints `[WARNING name]` lines and throws
 * KF_PREFLIGHT listing every `[ERROR name]`.
 *
 *   checks/resources.ts            NumCPU, Mem, Swap, IsPrivilegedUser, KubernetesVersion
 *   checks/ports.ts                Port-<n> (bind test on the node's address) + port-owner.ts
 *   checks/files.ts                FileAvailable-*, DirAvailable-*, FileExisting-*, FileContent-*
 *   checks/system-verification.ts  SystemVerification (OS, kernel release and config, cgroups)
 *   checks/runtime.ts              CRI, FileExisting-etcd
 *   checks/network.ts              Hostname, HTTPProxy, HTTPProxyCIDR (+ proxy.ts, Go's rules)
 *   checklist.ts                   initChecks, joinChecks
 *   ignore.ts                      preflightCheckNames, parseIgnorePreflightErrors
 *   run.ts                         runPreflight, PreflightError
 */
export * from './types.js';
export { initChecks, joinChecks, CONTROL_PLANE_COMPONENTS } from './checklist.js';
export { preflightCheckNames, parseIgnorePreflightErrors } from './ignore.js';
export { runPreflight, PreflightError } from './run.js';
export { findPortOwner, describeOwner, type PortOwner } from './port-owner.js';
