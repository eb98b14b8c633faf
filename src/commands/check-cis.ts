/** `kubeforge check cis`: the CIS benchmark report for the node under --root (src/cis). */
import { checkCis, type BenchmarkReport } from '../cis/index.js';
import { createHost, readAccounts } from '../host/index.js';

export { formatBenchmarkText } from '../cis/index.js';

export async function runCheckCis(root: string): Promise<BenchmarkReport> {
  return checkCis(createHost(root), await readAccounts());
}
