import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../host/index.js';
import { kubeClientConfig } from './client.js';
import { buildKubeconfig } from './kubeconfig.js';
import { referClientCredentialsTo } from './renew.js';

const STORE = '/var/lib/kubelet/pki/kubelet-client-current.pem';
const CONF = '/etc/kubernetes/kubelet.conf';
const CA = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
const embedded = buildKubeconfig({ clusterName: 'kubernetes', server: 'https://127.0.0.2:6443', caPem: CA, userName: 'system:node:cp1', clientCertPem: 'EMBEDDED CERT', clientKeyPem: 'EMBEDDED KEY' });

describe('kubeClientConfig with a certificate store', () => {
  let root: string;
  let host: Host;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'kf-client-'));
    host = createHost(root);
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('uses the store instead of the embedded client certificate once the store exists', async () => {
    await host.files.writeFile(CONF, embedded, { mode: 0o600 });
    await host.files.writeFile(STORE, 'STORED CERT\nSTORED KEY\n', { mode: 0o600 });
    expect(await kubeClientConfig(host.files, CONF, { certificateStore: STORE })).toMatchObject({ cert: 'STORED CERT\nSTORED KEY\n', key: 'STORED CERT\nSTORED KEY\n' });
  });

  it('uses the embedded client certificate while the store does not exist, or without the option', async () => {
    await host.files.writeFile(CONF, embedded, { mode: 0o600 });
    expect(await kubeClientConfig(host.files, CONF, { certificateStore: STORE })).toMatchObject({ cert: 'EMBEDDED CERT', key: 'EMBEDDED KEY' });
    await host.files.writeFile(STORE, 'STORED', { mode: 0o600 });
    expect(await kubeClientConfig(host.files, CONF)).toMatchObject({ cert: 'EMBEDDED CERT', key: 'EMBEDDED KEY', server: 'https://127.0.0.2:6443', ca: CA });
  });

  it('reads the files a kubeconfig names (under the root)', async () => {
    await host.files.writeFile(CONF, referClientCredentialsTo(embedded, STORE), { mode: 0o600 });
    await host.files.writeFile(STORE, 'STORED', { mode: 0o600 });
    expect(await kubeClientConfig(host.files, CONF)).toMatchObject({ cert: 'STORED', key: 'STORED' });
  });
});
