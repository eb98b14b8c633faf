/**
 * `kubeforge init` up to the static-pod manifests, driven through the built CLI and checked
 * with openssl and kubectl.
 */
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge, tempRoot, tool } from '../helpers/cli.js';

const ADDRESS = '127.0.0.21';
const FOUNDATION_PHASES = 'kubelet-start,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon,show-join-command';

const LEAVES: Array<[cert: string, ca: string]> = [
  ['apiserver', 'ca'],
  ['apiserver-kubelet-client', 'ca'],
  ['front-proxy-client', 'front-proxy-ca'],
  ['etcd/server', 'etcd/ca'],
  ['etcd/peer', 'etcd/ca'],
  ['etcd/healthcheck-client', 'etcd/ca'],
  ['apiserver-etcd-client', 'etcd/ca'],
];

/** Only the phases this wave has: later phases are skipped when they exist. */
async function skipLater(): Promise<string[]> {
  const help = await kubeforge(['init', '--help']);
  const later = FOUNDATION_PHASES.split(',').filter((p) => new RegExp(`^${p}\\s`, 'm').test(help.stdout));
  return later.length ? ['--skip-phases', later.join(',')] : [];
}

async function serials(pki: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [cert] of LEAVES) out[cert] = (await tool('openssl', ['x509', '-noout', '-serial', '-in', `${pki}/${cert}.crt`])).stdout.trim();
  return out;
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

describe('kubeforge init (foundation phases)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let pki: string;
  let first: Awaited<ReturnType<typeof kubeforge>>;

  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempRoot());
    pki = path.join(root, 'etc/kubernetes/pki');
    first = await kubeforge(['init', '--root', root, '--apiserver-advertise-address', ADDRESS, '--node-name', 'cp1', ...(await skipLater())]);
  });
  afterAll(async () => cleanup());

  it('passes pre-flight and writes the full kubeadm tree with progress on stderr', async () => {
    expect(first.stderr).toContain('[preflight] Running pre-flight checks');
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain('[certs] Generating "apiserver" certificate and key');
    expect(first.stderr).toMatch(/\[certs\] completed in \d/);
    const tree = await listTree(path.join(root, 'etc/kubernetes'));
    for (const file of [
      'admin.conf', 'super-admin.conf', 'kubelet.conf', 'controller-manager.conf', 'scheduler.conf',
      'manifests/etcd.yaml', 'manifests/kube-apiserver.yaml', 'manifests/kube-controller-manager.yaml', 'manifests/kube-scheduler.yaml',
      'pki/ca.crt', 'pki/ca.key', 'pki/front-proxy-ca.crt', 'pki/front-proxy-ca.key', 'pki/etcd/ca.crt', 'pki/etcd/ca.key', 'pki/sa.key', 'pki/sa.pub',
      ...LEAVES.flatMap(([c]) => [`pki/${c}.crt`, `pki/${c}.key`]),
    ]) expect(tree).toContain(file);
    expect((await stat(`${pki}/ca.key`)).mode & 0o777).toBe(0o600);
    expect((await stat(`${pki}/ca.crt`)).mode & 0o777).toBe(0o644);
  });

  it('signs every leaf with its CA, as openssl verifies', async () => {
    for (const [cert, ca] of LEAVES) {
      const result = await tool('openssl', ['verify', '-CAfile', `${pki}/${ca}.crt`, `${pki}/${cert}.crt`]);
      expect(result.stdout, `${cert}: ${result.stderr}`).toContain(': OK');
    }
  });

  it("gives the API server kubeadm's SANs and usages", async () => {
    const text = (await tool('openssl', ['x509', '-noout', '-text', '-in', `${pki}/apiserver.crt`])).stdout;
    for (const san of ['DNS:cp1', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local', 'IP Address:10.96.0.1', `IP Address:${ADDRESS}`]) {
      expect(text).toContain(san);
    }
    expect(text).toContain('TLS Web Server Authentication');
    expect(text).toMatch(/Subject: CN\s*=\s*kube-apiserver/);
  });

  it('writes kubeconfigs that kubectl parses', async () => {
    const view = await tool('kubectl', ['--kubeconfig', path.join(root, 'etc/kubernetes/admin.conf'), 'config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.server} {.users[0].name}']);
    expect(view.exitCode, view.stderr).toBe(0);
    expect(view.stdout).toBe(`https://${ADDRESS}:6443 kubernetes-admin`);
  });

  it('prints the CA public-key pin that openssl computes', async () => {
    const pubkey = await tool('openssl', ['x509', '-pubkey', '-noout', '-in', `${pki}/ca.crt`]);
    const der = await tool('bash', ['-c', `openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1`], pubkey.stdout);
    expect(first.stdout).toContain(`sha256:${der.stdout.trim()}`);
  });

  it('reuses every certificate on a re-run and fills in a deleted one', async () => {
    const before = await serials(pki);
    await rm(`${pki}/apiserver.crt`);
    await rm(`${pki}/apiserver.key`);
    const again = await kubeforge(['init', '--root', root, '--apiserver-advertise-address', ADDRESS, '--node-name', 'cp1', '--ignore-preflight-errors', 'all', ...(await skipLater())]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain('Using existing ca certificate authority');
    const after = await serials(pki);
    for (const [cert] of LEAVES) if (cert !== 'apiserver') expect(after[cert], cert).toBe(before[cert]);
    expect(after.apiserver).not.toBe(before.apiserver);
    expect((await tool('openssl', ['verify', '-CAfile', `${pki}/ca.crt`, `${pki}/apiserver.crt`])).exitCode).toBe(0);
  });
});

describe('kubeforge init --dry-run', () => {
  it('runs every phase without starting anything: the cluster phases say what they would do', async () => {
    const { dir, cleanup } = await tempRoot();
    try {
      const result = await kubeforge(['init', '--root', dir, '--dry-run', '--apiserver-advertise-address', '127.0.0.27', '--node-name', 'cp1']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toContain('[dryrun] Would start process');
      expect(result.stderr).toContain('[dryrun] Would run phase "bootstrap-token"');
      expect(result.stderr).toContain('[dryrun] Would wait for the agent to write "/var/lib/kubelet/pki/kubelet-client-current.pem", then update "/etc/kubernetes/kubelet.conf"');
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('writes nothing under the root and prints what it would write', async () => {
    const { dir, cleanup } = await tempRoot();
    try {
      const result = await kubeforge(['init', '--root', dir, '--dry-run', '--apiserver-advertise-address', '127.0.0.22', '--node-name', 'cp1', ...(await skipLater())]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toContain('Would write file');
      expect(result.stderr).toContain('etc/kubernetes/pki/ca.key');
      expect(result.stderr).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

describe('kubeforge init with a v1beta4 config file', () => {
  it('makes ECDSA-P256 certificates valid for 48h with extra SANs and extraArgs', async () => {
    const { dir, cleanup } = await tempRoot();
    try {
      const config = path.join(dir, 'kubeadm.yaml');
      await writeFile(config, [
        'apiVersion: kubeadm.k8s.io/v1beta4',
        'kind: InitConfiguration',
        'localAPIEndpoint:',
        '  advertiseAddress: 127.0.0.23',
        'nodeRegistration:',
        '  name: cp1',
        '---',
        'apiVersion: kubeadm.k8s.io/v1beta4',
        'kind: ClusterConfiguration',
        'encryptionAlgorithm: ECDSA-P256',
        'certificateValidityPeriod: 48h',
        'apiServer:',
        '  certSANs: [api.example.test, 10.0.0.10]',
        '  extraArgs:',
        '  - name: audit-log-maxage',
        '    value: "7"',
        '',
      ].join('\n'));
      const root = path.join(dir, 'root');
      const result = await kubeforge(['init', '--root', root, '--config', config, ...(await skipLater())]);
      expect(result.exitCode, result.stderr).toBe(0);
      const pki = path.join(root, 'etc/kubernetes/pki');
      const text = (await tool('openssl', ['x509', '-noout', '-text', '-in', `${pki}/apiserver.crt`])).stdout;
      expect(text).toContain('id-ecPublicKey');
      expect(text).toContain('DNS:api.example.test');
      expect(text).toContain('IP Address:10.0.0.10');
      const end = (await tool('openssl', ['x509', '-noout', '-enddate', '-in', `${pki}/apiserver.crt`])).stdout.replace('notAfter=', '');
      const hours = (Date.parse(end) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(47);
      expect(hours).toBeLessThanOrEqual(48);
      expect((await tool('openssl', ['verify', '-CAfile', `${pki}/ca.crt`, `${pki}/apiserver.crt`])).exitCode).toBe(0);
      const manifest = await readFile(path.join(root, 'etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8');
      expect(manifest).toContain('--audit-log-maxage=7');
    } finally {
      await cleanup();
    }
  });
});

describe('kubeforge init phase', () => {
  it('passes init flags to a sub-phase, also through `all`', async () => {
    const { dir, cleanup } = await tempRoot();
    try {
      const result = await kubeforge(['init', 'phase', 'certs', 'all', '--root', dir, '--node-name', 'phased', '--apiserver-advertise-address', '127.0.0.26']);
      expect(result.exitCode, result.stderr).toBe(0);
      const text = (await tool('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', path.join(dir, 'etc/kubernetes/pki/apiserver.crt')])).stdout;
      expect(text).toContain('DNS:phased');
      expect(text).toContain('IP Address:127.0.0.26');
    } finally {
      await cleanup();
    }
  });
});
