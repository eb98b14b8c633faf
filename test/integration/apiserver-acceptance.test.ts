import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, runCommand, startTestCluster, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';
import { assertPythonKubernetes, SYSTEM_PYTHON } from '../helpers/python-client.js';

let cluster: TestCluster;
const admin = (p: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, p, { client: cluster.pki.admin, ...request });
const ok = async (args: string[], env?: NodeJS.ProcessEnv) => {
  const res = await cluster.kubectl(args, env ? { env } : {});
  expect(res.stderr, `kubectl ${args.join(' ')}`).toBe('');
  expect(res.code).toBe(0);
  return res.stdout;
};


beforeAll(async () => {
  cluster = await startTestCluster();
  await admin('/api/v1/nodes', {
    method: 'POST',
    body: {
      metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } },
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z' }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.2' }, { type: 'Hostname', address: 'n1' }],
        capacity: { cpu: '2', memory: '4Gi', pods: '110' },
        allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
        nodeInfo: { kubeletVersion: 'v1.32.0' },
      },
    },
  });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('kubectl describe', () => {
  it('describes a namespace', async () => {
    const out = await ok(['describe', 'ns', 'kube-system']);
    expect(out).toMatch(/^Name:\s+kube-system$/m);
    expect(out).toMatch(/^Labels:\s+kubernetes.io\/metadata.name=kube-system$/m);
    expect(out).toMatch(/^Status:\s+Active$/m);
  });

  it('describes a configmap with its data', async () => {
    await ok(['create', 'configmap', 'described', '--from-literal=color=blue']);
    const out = await ok(['describe', 'configmap', 'described']);
    expect(out).toMatch(/^Namespace:\s+default$/m);
    expect(out).toMatch(/^Data\n====\ncolor:\n----\nblue\n/m);
  });

  it('describes a node with conditions, addresses, capacity and its (empty) pods', async () => {
    const out = await ok(['describe', 'node', 'n1']);
    expect(out).toMatch(/^Name:\s+n1$/m);
    expect(out).toMatch(/^ {2}Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status$/m);
    expect(out).toMatch(/^ {2}InternalIP:\s+127\.0\.0\.2$/m);
    expect(out).toMatch(/^ {2}Kubelet Version:\s+v1\.32\.0$/m);
    expect(out).toMatch(/^Non-terminated Pods:\s+\(0 in total\)$/m);
  });
});

describe('kubectl edit', () => {
  it('applies what KUBE_EDITOR changed and reports "edited"', async () => {
    await ok(['create', 'configmap', 'edited', '--from-literal=color=blue']);
    const editor = path.join(cluster.dir, 'editor.sh');
    await writeFile(editor, "#!/bin/sh\nsed -i 's/color: blue/color: green/' \"$1\"\n");
    await chmod(editor, 0o755);
    expect(await ok(['edit', 'configmap', 'edited'], { KUBE_EDITOR: editor })).toBe('configmap/edited edited\n');
    expect(JSON.parse(await ok(['get', 'cm', 'edited', '-o', 'json'])).data).toEqual({ color: 'green' });
    // An editor that changes nothing: kubectl says so and sends no write.
    expect((await cluster.kubectl(['edit', 'configmap', 'edited'], { env: { KUBE_EDITOR: 'true' } })).stderr).toBe('Edit cancelled, no changes made.\n');
  });
});

describe("Debian's python3-kubernetes client", () => {
  const script = `
import sys, threading
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
print("namespaces:", ",".join(sorted(ns.metadata.name for ns in v1.list_namespace().items)))
rv = v1.list_namespaced_config_map("default").metadata.resource_version
v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="from-python"), data={"k": "v"}))
w = watch.Watch()
for event in w.stream(v1.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=10):
    print("event:", event["type"], event["object"].metadata.name, event["object"].data)
    w.stop()
`;
  it('lists namespaces and watches ConfigMaps (python3-kubernetes)', async () => {
    assertPythonKubernetes();
    const res = await runCommand(SYSTEM_PYTHON, ['-c', script, cluster.kubeconfig], { timeoutMs: 30_000 });
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe("namespaces: default,kube-node-lease,kube-public,kube-system\nevent: ADDED from-python {'k': 'v'}\n");
  });
});
