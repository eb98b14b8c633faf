/**
 * Issue 17 item 5, secrets never leak: a full `init --upload-certs` + worker `join` + `certs renew
 * all`, each at -v 10, and an `init --dry-run -v 10`; then every log they wrote (their stdout and
 * stderr, the agents' logs, the pod logs, the audit log) is searched for the bootstrap token's
 * secret, every private key on both nodes, the certificate key and the encryption key. The only
 * places the token and certificate key may appear are the join command init prints on stdout and,
 * for the key, its `[upload-certs] Using certificate key:` result, as kubeadm prints them. Addresses 127.0.0.196-127.0.0.198 are this file's.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge, tempRoot, type CliResult } from '../helpers/cli.js';
import { pidsMentioning } from '../helpers/processes.js';

const CP = '127.0.0.196';
const WORKER = '127.0.0.197';
const DRY = '127.0.0.198';
const TOKEN_ID = 'leakck';
const TOKEN_SECRET = 'q7w3e9r1t5y8u2i4';
const TOKEN = `${TOKEN_ID}.${TOKEN_SECRET}`;
const CERTIFICATE_KEY = '4f1d2c3b4a5968778695a4b3c2d1e0f0e1d2c3b4a59687786950a4b3c2d1e0f1';

const roots: Array<{ dir: string; cleanup: () => Promise<void> }> = [];
let cp = '';
let worker = '';
let dry = '';
/** Everything the commands printed, by where it came from. */
const outputs: Record<string, string> = {};

async function newRoot(prefix: string): Promise<string> {
  const r = await tempRoot(prefix);
  roots.push(r);
  return r.dir;
}

function record(name: string, result: CliResult): CliResult {
  outputs[`${name} stdout`] = result.stdout;
  outputs[`${name} stderr`] = result.stderr;
  return result;
}

async function filesUnder(dir: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if ((await stat(file).catch(() => undefined))?.isFile()) out.push(file);
  }
  return out;
}

/** Every private key on the node (PKI, kubeconfigs' embedded keys, the agent's certificates), as text a log could contain. */
async function privateKeyNeedles(root: string): Promise<string[]> {
  const needles: string[] = [];
  for (const file of [...(await filesUnder(path.join(root, 'etc/kubernetes'))), ...(await filesUnder(path.join(root, 'var/lib/kubelet')))]) {
    const text = await readFile(file, 'utf8');
    for (const block of text.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g) ?? []) {
      needles.push(block.split('\n')[1] as string);
    }
    for (const m of text.matchAll(/client-key-data: (\S+)/g)) needles.push((m[1] as string).slice(0, 64));
  }
  return needles;
}

beforeAll(async () => {
  cp = await newRoot('kf-leak-cp-');
  worker = await newRoot('kf-leak-w-');
  dry = await newRoot('kf-leak-dry-');
  const secretFlags = ['--token', TOKEN, '--certificate-key', CERTIFICATE_KEY, '--upload-certs'];
  record('init --dry-run', await kubeforge(['init', '--root', dry, '--dry-run', '-v', '10', '--apiserver-advertise-address', DRY, '--node-name', 'dry1', ...secretFlags]));
  const init = record('init', await kubeforge(['init', '--root', cp, '-v', '10', '--apiserver-advertise-address', CP, '--node-name', 'leak-cp', ...secretFlags]));
  expect(init.exitCode, init.stderr).toBe(0);
  const hash = /--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})/.exec(init.stdout)?.[1] as string;
  const join = record('join', await kubeforge(['join', `${CP}:6443`, '--token', TOKEN, '--discovery-token-ca-cert-hash', hash, '--root', worker, '--node-name', 'leak-w', '--node-ip', WORKER, '--ignore-preflight-errors', 'all', '-v', '10']));
  expect(join.exitCode, join.stderr).toBe(0);
  const renew = record('certs renew', await kubeforge(['certs', 'renew', 'all', '--root', cp, '-v', '10']));
  expect(renew.exitCode, renew.stderr).toBe(0);
}, 400_000);

afterAll(async () => {
  for (const { dir, cleanup } of roots) {
    if ((await pidsMentioning(dir)).length) await kubeforge(['reset', '--root', dir, '-f']);
    for (const pid of await pidsMentioning(dir)) process.kill(pid, 'SIGKILL');
    await cleanup();
  }
}, 180_000);

/** The join commands and the certificate key init prints are its result, not a log: kubeadm prints them there. */
function withoutJoinCommands(stdout: string): string {
  return stdout.replace(/^\[upload-certs\] Using certificate key:\n[0-9a-f]{64}$/m, '').split('\n').filter((line) => !/kubeforge join|--token|--discovery-token-ca-cert-hash|--certificate-key|--control-plane/.test(line)).join('\n');
}

async function logs(): Promise<Record<string, string>> {
  const all: Record<string, string> = { ...outputs, 'init stdout': withoutJoinCommands(outputs['init stdout'] ?? '') };
  for (const root of [cp, worker]) {
    for (const file of await filesUnder(path.join(root, 'var/log'))) all[file] = await readFile(file, 'utf8');
  }
  return all;
}

describe('secrets in logs', () => {
  it('searched real logs: the agents, the control-plane pods and the audit log wrote some', async () => {
    const names = Object.keys(await logs());
    expect(names.some((n) => n.endsWith('var/log/kubernetes/audit/audit.log'))).toBe(true);
    expect(names.some((n) => n.includes('/var/log/pods/') && n.includes('kube-apiserver'))).toBe(true);
    expect(names.some((n) => n.startsWith(worker) && n.includes('/var/log/kubeforge/'))).toBe(true);
    expect(outputs['init stderr']?.length).toBeGreaterThan(1000);
    // The dry run printed the files it would write, the encryption configuration among them, redacted.
    expect(outputs['init --dry-run stderr']).toMatch(/encryption-config\.yaml" with mode 0600\n[\s\S]*?secret: <redacted>/);
  });

  it('never contain the token secret, the certificate key, the encryption key or a private key', async () => {
    const encryption = await readFile(path.join(cp, 'etc/kubernetes/pki/encryption-config.yaml'), 'utf8');
    const encryptionKey = /secret: (\S+)/.exec(encryption)?.[1] as string;
    expect(encryptionKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const keys = [...(await privateKeyNeedles(cp)), ...(await privateKeyNeedles(worker))];
    expect(keys.length).toBeGreaterThan(15);
    const needles: Array<[string, string]> = [
      ['the bootstrap token secret', TOKEN_SECRET],
      ['the certificate key', CERTIFICATE_KEY],
      ['the encryption key', encryptionKey],
      ...keys.map((k, i): [string, string] => [`private key #${i}`, k]),
    ];
    const leaks: string[] = [];
    for (const [where, text] of Object.entries(await logs())) {
      for (const [what, needle] of needles) if (text.includes(needle)) leaks.push(`${what} in ${where}`);
      // The dry run's own keys are made and discarded: none may be printed, whatever they are.
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) leaks.push(`a PEM private key in ${where}`);
      if (/^\s*(?:- )?secret: (?!<redacted>)\S{20,}/m.test(text)) leaks.push(`an encryption key in ${where}`);
    }
    expect(leaks).toEqual([]);
  });
});
