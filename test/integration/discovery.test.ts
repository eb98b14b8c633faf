/** Discovery against the bundled API server and real etcd, with cluster-info as init and the bootstrapsigner leave it. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindingObjects, clusterInfoBinding, clusterInfoConfigMap } from '../../src/bootstrap/index.js';
import { discoverWithFile, discoverWithToken } from '../../src/discovery/index.js';
import { createHost } from '../../src/host/index.js';
import { applyObjects, type KubeClient } from '../../src/kube/index.js';
import { clusterInfoKubeconfig, loadKubeClient } from '../../src/kubeconfig/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { caPublicKeyPin } from '../../src/pki/index.js';
import { detachedJWS } from '../../src/token/index.js';
import { apiRequest, startTestCluster, type TestCluster } from '../helpers/apiserver-harness.js';

const TOKEN = { id: 'abcdef', secret: '0123456789abcdef' };
let cluster: TestCluster;
let admin: KubeClient;
let caPem: string;
let kubeconfig: string;
let endpoint: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  admin = await loadKubeClient(createHost('/'), cluster.kubeconfig);
  caPem = await readFile(cluster.pki.ca.cert, 'utf8');
  kubeconfig = clusterInfoKubeconfig(caPem, cluster.url);
  endpoint = cluster.url.replace('https://', '');
  const configMap = clusterInfoConfigMap(kubeconfig);
  (configMap.data as Record<string, string>)[`jws-kubeconfig-${TOKEN.id}`] = detachedJWS(kubeconfig, TOKEN.id, TOKEN.secret);
  await applyObjects(admin, [configMap, ...bindingObjects(clusterInfoBinding)]);
  // The API server learns the new RoleBinding through its etcd watch: wait until it lets
  // anonymous read cluster-info, as init does for admin.conf's user.
  const anonymousRead = () => apiRequest(cluster.url, cluster.pki, '/api/v1/namespaces/kube-public/configmaps/cluster-info');
  for (const deadline = Date.now() + 10_000; (await anonymousRead()).status !== 200; ) {
    if (Date.now() > deadline) throw new Error('anonymous is still refused cluster-info 10 s after its RoleBinding was created');
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  admin?.close();
  await cluster?.stop();
});

const tokenDiscovery = (token: string, timeoutMs = 3000) =>
  discoverWithToken({ endpoint, token, caCertHashes: [caPublicKeyPin(caPem)], unsafeSkipCAVerification: false, timeoutMs, retryIntervalMs: 200, log: createMemoryLogger() });

describe('discovery against the bundled API server', () => {
  it('discovers the cluster anonymously with a signed token and the CA pin', async () => {
    const result = await tokenDiscovery(`${TOKEN.id}.${TOKEN.secret}`);
    expect(result).toMatchObject({ caVerified: true, clusterInfo: kubeconfig, cluster: { server: cluster.url, caPem } });
  });

  it('rejects a token whose secret does not match the JWS', async () => {
    await expect(tokenDiscovery(`${TOKEN.id}.ffffffffffffffff`)).rejects.toMatchObject({ code: 'KF_DISCOVERY_JWS_MISMATCH' });
  });

  it('reports a token id cluster-info is not signed for', async () => {
    await expect(tokenDiscovery('zzzzzz.0123456789abcdef', 500)).rejects.toMatchObject({ code: 'KF_DISCOVERY_TOKEN_UNKNOWN' });
  });

  it('refreshes a discovery file from cluster-info over TLS trusting the file\'s CA', async () => {
    const file = path.join(cluster.dir, 'discovery.conf');
    await writeFile(file, clusterInfoKubeconfig(caPem, cluster.url.replace('127.0.0.1', 'localhost')));
    const result = await discoverWithFile({ location: file, host: createHost('/'), log: createMemoryLogger(), timeoutMs: 3000 });
    expect(result.cluster.server).toBe(cluster.url);
  });

  it('refuses a discovery file that is not a kubeconfig (exit 3)', async () => {
    const file = path.join(cluster.dir, 'notes.txt');
    await writeFile(file, 'these are not the droids\n- you are looking for\n');
    await expect(discoverWithFile({ location: file, host: createHost('/'), log: createMemoryLogger() })).rejects.toMatchObject({ code: 'KF_DISCOVERY_FILE_INVALID', exitCode: 3 });
  });
});
