/**
 * kubeadm's `init phase kubelet-finalize enable-client-cert-rotation`: once the kubelet (here the
 * agent) keeps its client certificate in /var/lib/kubelet/pki/kubelet-client-current.pem,
 * kubelet.conf's user stops embedding the certificate `kubeconfig` issued and refers to that file,
 * so rotations take effect. kubeadm skips the rewrite when the file is absent; the agent always
 * writes it (from kubelet.conf) when it starts, so here its absence after a bounded wait is an error.
 */
import { KubeforgeError } from '../errors.js';
import type { Host } from '../host/index.js';
import { KUBELET_CLIENT_CERT, referClientCredentialsTo } from '../kubeconfig/index.js';
import type { Logger } from '../log.js';
import { AGENT_LOG, KUBELET_KUBECONFIG } from './agent-start.js';

export interface ClientCertRotationOptions {
  /** How long to wait for the agent to write kubelet-client-current.pem (30 s). */
  timeoutMs?: number;
  pollMs?: number;
}

const CLIENT_CERT_WAIT_MS = 30_000;

async function waitForClientCertificate(host: Host, timeoutMs: number, pollMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await host.files.exists(KUBELET_CLIENT_CERT))) {
    if (Date.now() >= deadline) {
      throw new KubeforgeError('KF_KUBELET_CLIENT_CERT_MISSING', `${host.files.resolve(KUBELET_CLIENT_CERT)} did not appear within ${timeoutMs / 1000}s`, {
        hint: `the agent writes it from ${KUBELET_KUBECONFIG} when it starts: check that it runs (\`kubeforge init phase kubelet-start\`) and see its log (${AGENT_LOG} under the root)`,
      });
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Points kubelet.conf's user at kubelet-client-current.pem (kubeadm's EnableClientCertRotation). */
export async function enableClientCertRotation(host: Host, log: Logger, options: ClientCertRotationOptions = {}): Promise<void> {
  const update = `"${KUBELET_KUBECONFIG}" to point to a rotatable kubelet client certificate and key`;
  if (host.dryRun) return log.info(`[dryrun] Would wait for the agent to write "${KUBELET_CLIENT_CERT}", then update ${update}`);
  await waitForClientCertificate(host, options.timeoutMs ?? CLIENT_CERT_WAIT_MS, options.pollMs ?? 200);
  log.info(`[kubelet-finalize] Updating ${update}`);
  const text = (await host.files.readFile(KUBELET_KUBECONFIG)).toString('utf8');
  const updated = referClientCredentialsTo(text, KUBELET_CLIENT_CERT);
  if (updated !== text) await host.files.writeFile(KUBELET_KUBECONFIG, updated, { mode: 0o600 });
}
