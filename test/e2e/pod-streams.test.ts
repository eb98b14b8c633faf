/**
 * Issue 12's streaming, through the built CLI (`npm run build` first), real containerd and the real
 * kubectl 1.32 and 1.35: `kubectl exec` (stdout/stderr, stdin to EOF, exit codes, a TTY), `attach`,
 * `cp` and `port-forward`, over SPDY (kubectl 1.32 with its WebSocket switches off) and WebSocket
 * (1.32 and 1.35 by default: RemoteCommand v5 and port-forward tunneling), client → API server →
 * agent (:10250) → the node containerd's streaming server. One cluster: init on 127.0.0.190 and a
 * worker on .191; plus the refusals (unknown container, a pod not running, RBAC, a node's identity).
 */
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge } from '../helpers/cli.js';
import { startCriCluster, type CriCluster } from '../helpers/cri-cluster.js';
import { waitFor } from '../helpers/kubectl.js';
import { writeBusyboxImage } from '../helpers/images.js';
import { newestClients } from '../helpers/newest-clients.js';
import { pidsMentioning } from '../helpers/processes.js';

const CP = '127.0.0.190';
const W1 = '127.0.0.191';
const IMAGE = 'docker.io/kubeforge/busybox:streams';

let cluster: CriCluster;
let kubectl135: string;

const POD = `apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${IMAGE}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "mkdir -p /www && echo hello through port-forward > /www/index.html && httpd -p 8080 -h /www && while true; do echo tick; sleep 1; done"]
---
apiVersion: v1
kind: Pod
metadata: {name: stuck}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: docker.io/kubeforge/missing:1
    imagePullPolicy: IfNotPresent
`;

interface Client {
  name: string;
  bin: () => string;
  env: Record<string, string>;
}

const CLIENTS: Client[] = [
  { name: 'kubectl 1.32 over SPDY', bin: () => 'kubectl', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } },
  { name: 'kubectl 1.32 over WebSocket', bin: () => 'kubectl', env: {} },
  { name: 'kubectl 1.35 over WebSocket', bin: () => kubectl135, env: {} },
];

/** kubectl as the admin, or with `auth` (flags naming other credentials). */
function run(client: Client, args: string[], input?: string, auth = ['--kubeconfig', `${cluster.cp}/etc/kubernetes/admin.conf`]) {
  return execa(client.bin(), [...auth, ...args], { reject: false, input, env: { ...client.env, HOME: cluster.scratch }, timeout: 60_000 });
}

/** Credentials other than the admin's: the server and CA, plus `--token` or a client certificate. */
const other = (...flags: string[]) => ['--kubeconfig', '/dev/null', '--server', `https://${CP}:6443`, '--certificate-authority', `${cluster.cp}/etc/kubernetes/pki/ca.crt`, ...flags];

beforeAll(async () => {
  const [started, clients] = await Promise.all([
    startCriCluster({ prefix: 'kf-streams', controlPlane: { name: 'cp1', ip: CP }, workers: { w1: W1 }, podNetworkCidr: '10.219.0.0/16', serviceCidr: '10.119.0.0/16' }),
    newestClients(),
  ]);
  cluster = started;
  kubectl135 = clients.kubectl;
  const archive = path.join(cluster.scratch, 'busybox.tar');
  await writeBusyboxImage(archive, IMAGE);
  const imported = await kubeforge(['images', 'import', archive, '--root', cluster.rootOf.w1!]);
  expect(imported.exitCode, imported.stderr).toBe(0);
  expect((await cluster.kubectl(['apply', '-f', '-'], POD)).exitCode).toBe(0);
  const ready = await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/box', '--timeout=180s'], undefined, 200_000);
  expect(ready.exitCode, ready.stderr).toBe(0);
}, 400_000);

afterAll(async () => {
  if (!cluster) return;
  expect(await cluster.teardown()).toEqual({});
}, 300_000);

describe.each(CLIENTS)('$name', (client) => {
  it('execs: stdout and stderr apart, the exit code of the command', async () => {
    const ok = await run(client, ['exec', 'box', '--', 'sh', '-c', 'echo out; echo err >&2']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('out');
    expect(ok.stderr).toBe('err');
    const failed = await run(client, ['exec', 'box', '--', 'sh', '-c', 'exit 3']);
    expect(failed.exitCode).toBe(3);
  });

  it('passes stdin through to EOF (-i), also 1 MB of it', async () => {
    const small = await run(client, ['exec', '-i', 'box', '--', 'cat'], 'line one\nline two\n');
    expect(small.exitCode, small.stderr).toBe(0);
    expect(small.stdout).toBe('line one\nline two');
    const big = await run(client, ['exec', '-i', 'box', '--', 'wc', '-c'], 'x'.repeat(1024 * 1024));
    expect(big.exitCode, big.stderr).toBe(0);
    expect(big.stdout.trim()).toBe(String(1024 * 1024));
  });

  it('gives -it a terminal', async () => {
    // `script` gives kubectl a pseudo-terminal of its own, as a user's shell has.
    const cmd = [client.bin(), '--kubeconfig', `${cluster.cp}/etc/kubernetes/admin.conf`, 'exec', '-it', 'box', '--', 'tty'].map((a) => `'${a}'`).join(' ');
    const r = await execa('script', ['-qec', cmd, '/dev/null'], { reject: false, env: { ...client.env, HOME: cluster.scratch }, timeout: 60_000, input: '' });
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
  });

  it('copies a file into the pod and back (kubectl cp, tar over exec)', async () => {
    const local = path.join(cluster.scratch, `cp-in-${client.name.replace(/\W+/g, '-')}`);
    const content = `copied by ${client.name}\n`.repeat(2000);
    await writeFile(local, content);
    const into = await run(client, ['cp', local, 'box:/tmp/copied.txt']);
    expect(into.exitCode, into.stderr).toBe(0);
    const back = path.join(cluster.scratch, `cp-out-${client.name.replace(/\W+/g, '-')}`);
    const out = await run(client, ['cp', 'box:/tmp/copied.txt', back]);
    expect(out.exitCode, out.stderr).toBe(0);
    expect(await readFile(back, 'utf8')).toBe(content);
  });

  it('attaches to the running container and streams its output', async () => {
    const attach = execa(client.bin(), ['--kubeconfig', `${cluster.cp}/etc/kubernetes/admin.conf`, 'attach', 'box'], { reject: false, env: { ...client.env, HOME: cluster.scratch } });
    let seen = '';
    attach.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    try {
      await waitFor('tick from attach', async () => seen.includes('tick'), 30_000, 200);
    } finally {
      attach.kill('SIGINT');
      await attach;
    }
  });

  it('forwards a local port to the pod (kubectl port-forward, then an HTTP GET)', async () => {
    const pf = execa(client.bin(), ['--kubeconfig', `${cluster.cp}/etc/kubernetes/admin.conf`, 'port-forward', '--address', CP, 'pod/box', ':8080'], { reject: false, env: { ...client.env, HOME: cluster.scratch } });
    let printed = '';
    pf.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
    try {
      const port = await waitFor('the forwarded port', async () => /Forwarding from [\d.]+:(\d+)/.exec(printed)?.[1], 30_000, 200);
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://${CP}:${port}/`);
        expect(await res.text()).toBe('hello through port-forward\n');
      }
    } finally {
      pf.kill('SIGINT');
      await pf;
    }
  });
});

describe('the WebSocket protocol itself (RemoteCommand v5 through the API server)', () => {
  it('carries stdout on channel 1, a closed stdin (channel 255), and the exit status on channel 3', async () => {
    const kubeconfig = await readFile(`${cluster.cp}/etc/kubernetes/admin.conf`, 'utf8');
    const field = (name: string) => Buffer.from(new RegExp(`${name}: (\\S+)`).exec(kubeconfig)![1]!, 'base64');
    const server = /server: https:\/\/(\S+)/.exec(kubeconfig)![1]!;
    const url = `wss://${server}/api/v1/namespaces/default/pods/box/exec?command=sh&command=-c&command=cat%3Bexit%205&stdin=true&stdout=true&stderr=true`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], { cert: field('client-certificate-data'), key: field('client-key-data'), ca: field('certificate-authority-data') });
    const frames: Buffer[] = [];
    ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('echoed\n')]));
    ws.send(Buffer.from([255, 0]));
    await new Promise((resolve) => ws.once('close', resolve));
    const stdout = Buffer.concat(frames.filter((f) => f[0] === 1).map((f) => f.subarray(1))).toString();
    expect(stdout).toBe('echoed\n');
    const status = JSON.parse(frames.find((f) => f[0] === 3 && f.length > 1)!.subarray(1).toString());
    expect(status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '5' }] } });
  });
});

describe('refusals', () => {
  const spdy = CLIENTS[0]!;
  const websocket = CLIENTS[2]!;

  it('names a container the pod does not have', async () => {
    for (const client of [spdy, websocket]) {
      const r = await run(client, ['exec', 'box', '-c', 'nope', '--', 'true']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain('container nope is not valid for pod box');
    }
  });

  it('answers at once for a pod whose container is not running', async () => {
    for (const client of [spdy, websocket]) {
      const r = await run(client, ['exec', 'stuck', '--', 'true']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain('container not found ("main")');
    }
  });

  it('refuses a user without create on pods/exec, and a node identity, with 403', async () => {
    const steps = [
      ['create', 'serviceaccount', 'reader'],
      ['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods,pods/exec,pods/portforward'],
      ['create', 'rolebinding', 'pod-reader', '--role=pod-reader', '--serviceaccount=default:reader'],
    ];
    for (const step of steps) expect((await cluster.kubectl(step)).exitCode).toBe(0);
    const token = (await cluster.kubectl(['create', 'token', 'reader'])).stdout.trim();
    const nodeCert = `${cluster.rootOf.w1}/var/lib/kubelet/pki/kubelet-client-current.pem`;
    for (const client of [spdy, websocket]) {
      const r = await run(client, ['exec', 'box', '--', 'true'], undefined, other('--token', token));
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain('User "system:serviceaccount:default:reader" cannot create resource "pods/exec"');
      const pf = await run(client, ['port-forward', 'box', ':8080'], undefined, other('--token', token));
      expect(pf.exitCode).not.toBe(0);
      expect(pf.stderr).toContain('cannot create resource "pods/portforward"');
      const node = await run(client, ['exec', 'box', '--', 'true'], undefined, other('--client-certificate', nodeCert, '--client-key', nodeCert));
      expect(node.exitCode).not.toBe(0);
      expect(node.stderr).toContain('User "system:node:w1" cannot create resource "pods/exec"');
    }
  });

  // Last: it takes the worker's agent away.
  it('fails at once, naming the backend, when the pod\'s node agent is gone', async () => {
    const [agent] = await pidsMentioning(`${cluster.rootOf.w1} agent`);
    expect(agent).toBeDefined();
    process.kill(agent!, 'SIGKILL');
    await waitFor('the agent to exit', async () => (await pidsMentioning(`${cluster.rootOf.w1} agent`)).length === 0, 30_000);
    for (const client of [spdy, websocket]) {
      const r = await run(client, ['exec', 'box', '--', 'true']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain(`error dialing backend: connect ECONNREFUSED ${W1}:10250`);
    }
  });
});
