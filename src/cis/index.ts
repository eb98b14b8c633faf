/**
 * src/cis — `kubeforge check cis`: the CIS Kubernetes Benchmark v1.10 items that apply to a
 * kubeforge node, modelled on kube-bench. facts.ts gathers what the checks read (manifest flags,
 * file modes and owners, the kubelet configuration) through the Host; checks.ts has the audit
 * shapes; controlplane.ts (section 1) and node.ts (section 4) are the tables; report.ts
 * evaluates them and prints kube-bench's format.
 */
import type { Accounts, Host } from '../host/index.js';
import { CONTROL_PLANE_GROUPS } from './controlplane.js';
import { gatherFacts } from './facts.js';
import { NODE_GROUPS } from './node.js';
import { runBenchmark, type BenchmarkReport } from './report.js';

export { formatBenchmarkText, type BenchmarkReport, type CheckResult, type Status } from './report.js';

export async function checkCis(host: Host, accounts: Accounts): Promise<BenchmarkReport> {
  return runBenchmark([...CONTROL_PLANE_GROUPS, ...NODE_GROUPS], await gatherFacts(host, accounts));
}
