/**
 * The agent's CertificateExpiringSoon event against real etcd and the bundled API server: a
 * certificate on the node that expires within 30 days gets exactly one Warning Event on the
 * Node, however many checks run afterwards.
 */
import { describe, expect, it } from 'vitest';
import { agentLogs, clusterClientCert, prepareAgentRoot, startNodeAgent, useAgentCluster } from '../helpers/agent-cluster.js';
import { sleep, waitFor } from '../helpers/agent-harness.js';

const env = useAgentCluster();
const { agents, roots } = env;

interface EventJson {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
  source: { component: string };
}

async function nodeEvents(node: string): Promise<EventJson[]> {
  const r = await env.cluster.kubectl(['get', 'events', '-n', 'default', '-o', 'json']);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { items: EventJson[] }).items.filter((e) => e.involvedObject.name === node && e.reason === 'CertificateExpiringSoon');
}

describe('the CertificateExpiringSoon event', () => {
  it('is sent once on the Node for a certificate that expires within 30 days, not again on later checks', async () => {
    const r = await prepareAgentRoot(env.cluster, 'n-expiring');
    roots.push(r);
    // A one-day apiserver-kubelet-client certificate signed by the cluster CA (whose key is not on this node).
    const leaf = await clusterClientCert(env.cluster, { commonName: 'kube-apiserver-kubelet-client', organizations: ['kubeadm:cluster-admins'] });
    await r.host.files.writeFile('/etc/kubernetes/pki/apiserver-kubelet-client.crt', leaf.certPem, { mode: 0o644 });
    await r.host.files.writeFile('/etc/kubernetes/pki/apiserver-kubelet-client.key', leaf.keyPem, { mode: 0o600 });
    const agent = await startNodeAgent(r, { certificateMonitorMs: 200 });
    agents.push(agent);

    const events = await waitFor('the expiry event', async () => {
      const found = await nodeEvents('n-expiring');
      return found.length > 0 && found;
    }, 20_000);
    const mine = events.filter((e) => e.message.includes('apiserver-kubelet-client'));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Node', name: 'n-expiring' }, source: { component: 'kubeforge-agent' } });
    expect(mine[0]!.message).toMatch(/^certificate apiserver-kubelet-client \(.*apiserver-kubelet-client\.crt\) expires on \d{4}-\d\d-\d\dT.*externally managed/);

    // A round may post several events (one per certificate); once it is done, seven more rounds add none.
    await sleep(500);
    const settled = await nodeEvents('n-expiring');
    expect(new Set(settled.map((e) => e.message)).size).toBe(settled.length);
    await sleep(1500);
    expect((await nodeEvents('n-expiring')).map((e) => e.message).sort()).toEqual(settled.map((e) => e.message).sort());
    // Every event of a round was accepted at the first try (distinct names, no 409 and retry).
    expect(agentLogs.get(r.root)!.filter((l) => l.includes('certificate check:'))).toEqual([]);
  }, 60_000);
});
