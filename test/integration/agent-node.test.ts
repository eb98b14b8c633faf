/**
 * The agent's API side against real etcd and the bundled API server, checked with the real
 * kubectl: the Node it registers, its Lease, mirror pods with real status, the kubelet API, and
 * what happens across an agent restart and an API server restart.
 */
import { describe, expect, it } from 'vitest';
import type { RunningAgent } from '../../src/agent/index.js';
import { runKubeApiserver, type RunningApiServer } from '../../src/controlplane/apiserver/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { agentLogs, clusterClientCert, kubeletGet, prepareAgentRoot, startNodeAgent, type AgentRoot, useAgentCluster } from '../helpers/agent-cluster.js';
import { fixturePod, freePort, waitFor, writeManifest } from '../helpers/agent-harness.js';
import { apiServerArgs } from '../helpers/apiserver-harness.js';
import { issueCert } from '../helpers/pki.js';

const env = useAgentCluster();
const { agents, roots } = env;

async function node(name: string, options: { kubeconfig?: boolean } = {}): Promise<AgentRoot> {
  const r = await prepareAgentRoot(env.cluster, name, options);
  roots.push(r);
  return r;
}

async function start(r: AgentRoot, api: Parameters<typeof startNodeAgent>[1] = {}): Promise<RunningAgent> {
  const agent = await startNodeAgent(r, api);
  agents.push(agent);
  return agent;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

async function kubectlJson<T = Json>(args: string[]): Promise<T | undefined> {
  const r = await env.cluster.kubectl([...args, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as T) : undefined;
}

const readyStatus = (n: Json | undefined) => n?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status as string | undefined;

async function webPod(r: AgentRoot, name = 'web'): Promise<void> {
  await writeManifest(r.host, `${name}.yaml`, fixturePod({ tag: r.root, name, port: await freePort() }));
}

describe('node registration', () => {
  it('registers a Ready Node with the kubelet labels, addresses, capacity and nodeInfo', async () => {
    const r = await node('n-reg');
    const agent = await start(r);
    const n = await waitFor('node n-reg Ready', async () => {
      const got = await kubectlJson(['get', 'node', 'n-reg']);
      return readyStatus(got) === 'True' && got;
    }, 20_000);
    expect(n.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': 'n-reg', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': expect.any(String) });
    expect(n.status.addresses).toEqual([{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'n-reg' }]);
    expect(n.status.capacity.pods).toBe('110');
    expect(Number(n.status.capacity.cpu)).toBeGreaterThan(0);
    expect(n.status.capacity.memory).toMatch(/^\d+Ki$/);
    expect(n.status.nodeInfo).toMatchObject({ kubeletVersion: 'v1.32.0', operatingSystem: 'linux', containerRuntimeVersion: 'kubeforge://0.0.0-test' });
    expect(n.status.daemonEndpoints.kubeletEndpoint.Port).toBe(agent.kubeletPort());
    const types = n.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`).sort();
    expect(types).toEqual(['DiskPressure=False', 'MemoryPressure=False', 'PIDPressure=False', 'Ready=True']);
  }, 40_000);

  it('waits for a kubeconfig that appears later and registers once it exists', async () => {
    const r = await node('n-late', { kubeconfig: false });
    await start(r);
    // The canary: the agent tried to connect and found no kubeconfig, so it has not registered.
    const lines = agentLogs.get(r.root)!;
    await waitFor('the agent to try to connect without a kubeconfig', () => lines.some((l) => /agent: connecting to the API server: .*\(retrying\)/.test(l)));
    expect(await kubectlJson(['get', 'node', 'n-late'])).toBeUndefined();
    const { writeKubeletConf } = await import('../helpers/agent-cluster.js');
    await writeKubeletConf(env.cluster, r.host, 'n-late');
    await waitFor('node n-late registered', async () => readyStatus(await kubectlJson(['get', 'node', 'n-late'])) === 'True', 20_000);
  }, 40_000);

  it('keeps the same Node, and the labels and taints others set on it, across an agent restart', async () => {
    const r = await node('n-restart');
    const first = await start(r);
    const before: Json = await waitFor('node n-restart', () => kubectlJson(['get', 'node', 'n-restart']), 20_000);
    expect((await env.cluster.kubectl(['label', 'node', 'n-restart', 'node-role.kubernetes.io/control-plane='])).code).toBe(0);
    expect((await env.cluster.kubectl(['taint', 'node', 'n-restart', 'node-role.kubernetes.io/control-plane:NoSchedule'])).code).toBe(0);
    await first.stop('detach');
    agents.splice(agents.indexOf(first), 1);
    const second = await start(r);
    await waitFor('the restarted agent to post a newer heartbeat', async () => {
      const lease = await kubectlJson(['get', 'lease', '-n', 'kube-node-lease', 'n-restart']);
      return lease && Date.parse(lease.spec.renewTime) > Date.now() - 500;
    }, 20_000);
    const after = await kubectlJson(['get', 'node', 'n-restart']);
    expect(after?.metadata.uid).toBe(before.metadata.uid);
    expect(after?.metadata.labels['node-role.kubernetes.io/control-plane']).toBe('');
    expect(after?.spec.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect(readyStatus(after)).toBe('True');
    expect(second.nodeName).toBe('n-restart');
  }, 40_000);
});

describe('node lease', () => {
  it('renews kube-node-lease/<node>, held by the node and owned by its Node', async () => {
    const r = await node('n-lease');
    await start(r);
    const lease: Json = await waitFor('the lease', () => kubectlJson(['get', 'lease', '-n', 'kube-node-lease', 'n-lease']), 20_000);
    const nodeUid = (await kubectlJson(['get', 'node', 'n-lease']))?.metadata.uid;
    expect(lease.spec).toMatchObject({ holderIdentity: 'n-lease', leaseDurationSeconds: 40 });
    expect(lease.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(lease.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'n-lease', uid: nodeUid }]);
    await waitFor('a renewal', async () => {
      const later = await kubectlJson(['get', 'lease', '-n', 'kube-node-lease', 'n-lease']);
      return later && later.spec.renewTime !== lease.spec.renewTime;
    }, 5000);
  }, 40_000);
});

describe('mirror pods', () => {
  it('posts a mirror pod per static pod with its real status, owned by the Node', async () => {
    const r = await node('n-mirror');
    await webPod(r);
    await start(r);
    const pod = await waitFor('mirror pod web-n-mirror Running and ready', async () => {
      const p = await kubectlJson(['get', 'pod', '-n', 'kube-system', 'web-n-mirror']);
      return p?.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready === true && p;
    }, 20_000);
    const nodeUid = (await kubectlJson(['get', 'node', 'n-mirror']))?.metadata.uid;
    expect(pod.metadata.annotations['kubernetes.io/config.mirror']).toMatch(/^[0-9a-f]{32}$/);
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'n-mirror', uid: nodeUid, controller: true }]);
    expect(pod.spec.nodeName).toBe('n-mirror');
    expect(pod.status).toMatchObject({ podIP: '127.0.0.1', hostIP: '127.0.0.1', startTime: expect.any(String) });
    expect(pod.status.containerStatuses[0]).toMatchObject({ name: 'web', ready: true, restartCount: 0, state: { running: { startedAt: expect.any(String) } } });
    expect(pod.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
    const wide = await env.cluster.kubectl(['get', 'pods', '-n', 'kube-system', '-o', 'wide']);
    expect(wide.stdout).toContain('web-n-mirror');
  }, 40_000);

  it('follows restarts and deletes the mirror of a removed static pod', async () => {
    const r = await node('n-gone');
    await webPod(r, 'a');
    await webPod(r, 'b');
    const agent = await start(r);
    await waitFor('both mirrors', async () => (await kubectlJson(['get', 'pods', '-n', 'kube-system', '--field-selector', 'spec.nodeName=n-gone']))?.items.length === 2, 20_000);
    const pid = Number(/^process:\/\/(\d+)\./.exec(agent.pods().find((p) => p.pod.pod.metadata.name === 'a-n-gone')!.status.containerStatuses[0]!.containerID!)![1]);
    process.kill(pid, 'SIGKILL');
    await waitFor('restartCount 1 on the mirror', async () => (await kubectlJson(['get', 'pod', '-n', 'kube-system', 'a-n-gone']))?.status.containerStatuses[0].restartCount === 1, 20_000);
    await r.host.files.remove('/etc/kubernetes/manifests/b.yaml');
    await waitFor('mirror b gone', async () => (await env.cluster.kubectl(['get', 'pod', '-n', 'kube-system', 'b-n-gone'])).stderr.includes('NotFound'), 20_000);
    expect(await kubectlJson(['get', 'pod', '-n', 'kube-system', 'a-n-gone'])).toBeDefined();
  }, 60_000);
});

describe('kubelet API', () => {
  it('serves /healthz, /pods and container logs to the API server kubelet client only', async () => {
    const r = await node('n-api');
    await webPod(r);
    const agent = await start(r);
    await waitFor('web running', () => agent.pods()[0]?.status.phase === 'Running', 20_000);
    const port = agent.kubeletPort()!;
    const apiserverClient = await clusterClientCert(env.cluster, { commonName: 'kube-apiserver-kubelet-client', organizations: ['kubeadm:cluster-admins'] });
    expect(await kubeletGet(port, '/healthz', apiserverClient)).toEqual({ status: 200, text: 'ok' });
    const pods = JSON.parse((await kubeletGet(port, '/pods', apiserverClient)).text);
    expect(pods.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['web-n-api']);
    const logs = await waitFor('the fixture server log lines', async () => {
      const got = await kubeletGet(port, '/containerLogs/kube-system/web-n-api/web', apiserverClient);
      return got.text.includes('listening on') && got;
    }, 10_000);
    expect(logs.status).toBe(200);
    expect(logs.text).toMatch(/^started pid=\d+/);
    const tail = await kubeletGet(port, '/containerLogs/kube-system/web-n-api/web?tailLines=1', apiserverClient);
    expect(tail.text.trimEnd().split('\n')).toHaveLength(1);
    expect((await kubeletGet(port, '/containerLogs/kube-system/web-n-api/nope', apiserverClient)).status).toBe(404);
    const nodeClient = await clusterClientCert(env.cluster, { commonName: 'system:node:n-api', organizations: ['system:nodes'] });
    expect((await kubeletGet(port, '/containerLogs/kube-system/web-n-api/web', nodeClient)).status).toBe(403);
    expect((await kubeletGet(port, '/healthz')).status).toBe(401);
  }, 40_000);

  it('streams appended log lines with follow=true', async () => {
    const r = await node('n-follow');
    await webPod(r);
    const agent = await start(r);
    await waitFor('web running', () => agent.pods()[0]?.status.phase === 'Running', 20_000);
    const client = await clusterClientCert(env.cluster, { commonName: 'kube-admin', organizations: ['system:masters'] });
    const logFile = r.host.files.resolve(`/var/log/pods`);
    const { appendFileSync, readdirSync } = await import('node:fs');
    const podDir = readdirSync(logFile)[0]!;
    const { readFileSync } = await import('node:fs');
    await waitFor('the server to log', () => readFileSync(`${logFile}/${podDir}/web/0.log`, 'utf8').includes('listening'));
    setTimeout(() => appendFileSync(`${logFile}/${podDir}/web/0.log`, 'appended-after-follow\n'), 500);
    const got = await kubeletGet(agent.kubeletPort()!, '/containerLogs/kube-system/web-n-follow/web?follow=true&tailLines=0', client, {
      until: (text) => text.includes('appended-after-follow'),
    });
    expect(got.text).toBe('appended-after-follow\n');
  }, 40_000);
});

describe('kubectl logs', () => {
  it('reads a static pod container log through the API server and the kubelet API', async () => {
    const kubeletClient = await issueCert(env.cluster.dir, env.cluster.pki.ca, 'apiserver-kubelet-client', {
      cn: 'kube-apiserver-kubelet-client', orgs: ['kubeadm:cluster-admins'], usage: 'clientAuth',
    });
    const port = await freePort();
    const apiserver = await runKubeApiserver(apiServerArgs(env.cluster.pki, [env.cluster.etcd.endpoint], port, [
      `--kubelet-client-certificate=${kubeletClient.cert}`, `--kubelet-client-key=${kubeletClient.key}`,
      '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
    ]), { logger: createMemoryLogger() });
    try {
      await apiserver.ready;
      const r = await node('n-logs');
      await webPod(r);
      await start(r);
      await waitFor('mirror pod web-n-logs', () => kubectlJson(['get', 'pod', '-n', 'kube-system', 'web-n-logs']), 20_000);
      const logs = await waitFor('kubectl logs output', async () => {
        const got = await env.cluster.kubectl(['--server', `https://127.0.0.1:${port}`, 'logs', '-n', 'kube-system', 'web-n-logs']);
        return got.code === 0 && got.stdout.includes('listening on') && got;
      }, 10_000);
      expect(logs.stdout).toMatch(/^started pid=\d+ message=\nlistening on \d+\n$/);
      const tail = await env.cluster.kubectl(['--server', `https://127.0.0.1:${port}`, 'logs', '-n', 'kube-system', 'web-n-logs', '--tail=1']);
      expect(tail.stdout).toMatch(/^listening on \d+\n$/);
      const wrong = await env.cluster.kubectl(['--server', `https://127.0.0.1:${port}`, 'logs', '-n', 'kube-system', 'web-n-logs', '-c', 'nope']);
      expect(wrong.stderr).toContain('container nope is not valid for pod web-n-logs');
      // The test cluster's own API server has no kubelet client certificate: the kubelet refuses it.
      const anonymous = await env.cluster.kubectl(['logs', '-n', 'kube-system', 'web-n-logs']);
      expect(anonymous.code).not.toBe(0);
    } finally {
      await apiserver.close();
    }
  }, 60_000);
});

describe('API server restarts', () => {
  it('reconnects after the API server goes away and comes back', async () => {
    const r = await node('n-reconnect');
    await start(r);
    await waitFor('node registered', async () => readyStatus(await kubectlJson(['get', 'node', 'n-reconnect'])) === 'True', 20_000);
    const port = env.cluster.apiserver.port;
    const lines = agentLogs.get(r.root)!;
    const seen = lines.length;
    await env.cluster.apiserver.close();
    // The canary: the agent has noticed the API server is gone (a lease renewal or status update failed).
    await waitFor('the agent to see the API server gone', () => lines.slice(seen).some((l) => /\(retrying\)$/.test(l)), 20_000);
    let restarted: RunningApiServer | undefined;
    try {
      restarted = await runKubeApiserver(apiServerArgs(env.cluster.pki, [env.cluster.etcd.endpoint], port), { logger: createMemoryLogger() });
      await restarted.ready;
      const back = Date.now();
      await waitFor('a lease renewed after the restart', async () => {
        const lease = await kubectlJson(['get', 'lease', '-n', 'kube-node-lease', 'n-reconnect']);
        return lease && Date.parse(lease.spec.renewTime) > back;
      }, 20_000);
    } finally {
      // The cluster's stop() closes the API server it started; hand it the running one.
      if (restarted) Object.assign(env.cluster, { apiserver: restarted });
    }
  }, 60_000);
});
