import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, type ApiRequest, type TestCluster, startTestCluster } from '../helpers/apiserver-harness.js';
import { clientRunner, newestClients } from '../helpers/newest-clients.js';
import { makeTestPki } from '../helpers/pki.js';

let cluster: TestCluster;
let kubectl135: ReturnType<typeof clientRunner>;
let frontProxyDir: string;
let frontProxyCa: string;
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });

beforeAll(async () => {
  // kubeadm's front-proxy flags; the CA of another test PKI stands in for the front-proxy CA.
  frontProxyDir = await mkdtemp(path.join(os.tmpdir(), 'kf-front-proxy-'));
  frontProxyCa = (await makeTestPki(frontProxyDir)).ca.cert;
  cluster = await startTestCluster({
    extraArgs: [
      `--requestheader-client-ca-file=${frontProxyCa}`, '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group', '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    ],
  });
  kubectl135 = clientRunner((await newestClients()).kubectl, cluster);
});
afterAll(async () => {
  await cluster?.stop();
  await rm(frontProxyDir, { recursive: true, force: true });
});

const canI = async (user: string, namespace: string, attributes: Record<string, string>) => {
  const res = await admin(`/apis/authorization.k8s.io/v1/namespaces/${namespace}/localsubjectaccessreviews`, {
    method: 'POST',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user, groups: ['system:authenticated'], resourceAttributes: { namespace, ...attributes } } },
  });
  expect(res.status).toBe(201);
  return res.json.status.allowed as boolean;
};

describe('what the API server creates at start', () => {
  it('the system PriorityClasses every static pod and CoreDNS name', async () => {
    const res = await kubectl135(['get', 'priorityclass', 'system-node-critical', 'system-cluster-critical', '-o', 'custom-columns=NAME:.metadata.name,VALUE:.value,PREEMPTION:.preemptionPolicy', '--no-headers']);
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toEqual(['system-node-critical 2000001000 PreemptLowerPriority', 'system-cluster-critical 2000000000 PreemptLowerPriority', '']);
  });

  it('kube-system/extension-apiserver-authentication with the client CA and the request-header settings', async () => {
    const res = await cluster.kubectl(['-n', 'kube-system', 'get', 'configmap', 'extension-apiserver-authentication', '-o', 'json']);
    const data = JSON.parse(res.stdout).data;
    expect(data['client-ca-file']).toBe(await readFile(cluster.pki.ca.cert, 'utf8'));
    expect(data['requestheader-client-ca-file']).toBe(await readFile(frontProxyCa, 'utf8'));
    expect(data).toMatchObject({
      'requestheader-allowed-names': '["front-proxy-client"]',
      'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
    });
  });

  it('upstream\'s bootstrap Roles and RoleBindings, which grant what they are for', async () => {
    const roles = await cluster.kubectl(['get', 'roles', '-A', '-o', 'custom-columns=NS:.metadata.namespace,NAME:.metadata.name', '--no-headers']);
    for (const row of ['kube-system extension-apiserver-authentication-reader', 'kube-system system::leader-locking-kube-controller-manager', 'kube-system system::leader-locking-kube-scheduler', 'kube-system system:controller:token-cleaner', 'kube-public system:controller:bootstrap-signer']) {
      expect(roles.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toContain(row);
    }
    expect(await canI('system:kube-scheduler', 'kube-system', { verb: 'get', resource: 'configmaps', name: 'extension-apiserver-authentication' })).toBe(true);
    expect(await canI('system:kube-scheduler', 'kube-system', { verb: 'update', resource: 'configmaps', name: 'extension-apiserver-authentication' })).toBe(false);
    expect(await canI('system:serviceaccount:kube-system:bootstrap-signer', 'kube-public', { verb: 'update', resource: 'configmaps', name: 'cluster-info' })).toBe(true);
    expect(await canI('system:kube-controller-manager', 'kube-system', { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', name: 'kube-controller-manager' })).toBe(true);
  });

  it('upstream\'s bootstrap ClusterRoles and their bindings (auth-delegator, kube-dns, volume-scheduler)', async () => {
    const res = await cluster.kubectl(['get', 'clusterrole', 'system:auth-delegator', 'system:kube-dns', 'system:volume-scheduler', '-o', 'name']);
    expect(res.stdout).toBe('clusterrole.rbac.authorization.k8s.io/system:auth-delegator\nclusterrole.rbac.authorization.k8s.io/system:kube-dns\nclusterrole.rbac.authorization.k8s.io/system:volume-scheduler\n');
    expect(await canI('system:serviceaccount:kube-system:kube-dns', 'default', { verb: 'watch', resource: 'services' })).toBe(true);
    expect(await canI('system:kube-scheduler', 'default', { verb: 'patch', resource: 'persistentvolumeclaims' })).toBe(true);
    const binding = JSON.parse((await cluster.kubectl(['get', 'clusterrolebinding', 'system:kube-dns', '-o', 'json'])).stdout);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kube-dns', namespace: 'kube-system' }]);
  });
});
