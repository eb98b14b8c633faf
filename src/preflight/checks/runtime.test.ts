import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RealSystem } from '../../host/system.js';
import { cleanupFakeHosts, fakeHost, runCheck } from '../../../test/helpers/fake-host.js';
import { ipv4ForwardCheck } from './files.js';
import { criCheck, etcdBinaryCheck, neededWithRuntime } from './runtime.js';
import { startVersionServer } from '../../../test/helpers/cri-server.js';

afterEach(cleanupFakeHosts);

const CONTAINERD = 'unix:///var/run/containerd/containerd.sock';

describe('CRI', () => {
  it('passes when a runtime answers at the configured socket, naming it and its version (CRI Version)', async () => {
    const cri = await startVersionServer();
    try {
      const endpoint = `unix://${cri.socket}`;
      const host = fakeHost({ sockets: new Map([[cri.socket, 'listening']]) });
      const result = await runCheck(criCheck(endpoint), host);
      expect(result.errors).toEqual([]);
      expect(result.warnings).toEqual([]);
      expect(result.info).toContain(`${endpoint} (configured criSocket): listening`);
      expect(result.info).toContain(`runtime: fakecri 9.9.9 (CRI v1) at ${endpoint}`);
    } finally {
      await cri.close();
    }
  });

  it('is an error when something listens at the socket but does not answer the CRI', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kf-notcri-'));
    const socket = path.join(dir, 'x.sock');
    const server = net.createServer((c) => c.end('not grpc\n'));
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const result = await runCheck(criCheck(`unix://${socket}`), fakeHost({ sockets: new Map([[socket, 'listening']]) }));
      expect(result.errors[0]).toMatch(/^container runtime is not running: unix:\/\/.*x\.sock does not answer the CRI: /);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it("says the node's own containerd will run pods when none answers and containerd is installed", async () => {
    const host = fakeHost({ binaries: new Map([['containerd', '/usr/bin/containerd']]) });
    expect((await runCheck(criCheck(CONTAINERD), host)).warnings).toEqual([
      `container runtime socket ${CONTAINERD} does not exist; kubeforge starts this node's own containerd (/usr/bin/containerd) under --root`,
    ]);
  });

  it('only warns when no runtime is found, saying the bundled agent runs the static pods', async () => {
    const result = await runCheck(criCheck(CONTAINERD), fakeHost());
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      `container runtime socket ${CONTAINERD} does not exist; the bundled kubeforge agent will run the static pods`,
    ]);
  });

  it('names a runtime found at another usual socket', async () => {
    const host = fakeHost({ sockets: new Map([['/var/run/crio/crio.sock', 'listening']]) });
    expect((await runCheck(criCheck(CONTAINERD), host)).warnings).toEqual([
      `container runtime socket ${CONTAINERD} does not exist; found cri-o at unix:///var/run/crio/crio.sock ` +
        '(set nodeRegistration.criSocket to use it); the bundled kubeforge agent will run the static pods',
    ]);
  });

  it('says so when the configured socket is there but nothing accepts connections', async () => {
    const host = fakeHost({ sockets: new Map([['/var/run/containerd/containerd.sock', 'refused']]) });
    expect((await runCheck(criCheck(CONTAINERD), host)).warnings[0]).toMatch(/containerd\.sock is not accepting connections;/);
  });
});

describe('checks needed only with a container runtime (ip_forward)', () => {
  const forwardingOff = { files: new Map([['/proc/sys/net/ipv4/ip_forward', '0\n']]) };

  it('is an error when a runtime listens at the configured socket', async () => {
    const host = fakeHost({ ...forwardingOff, sockets: new Map([['/var/run/containerd/containerd.sock', 'listening']]) });
    const result = await runCheck(neededWithRuntime(ipv4ForwardCheck(), CONTAINERD), host);
    expect(result.errors).toEqual(['/proc/sys/net/ipv4/ip_forward contents are not set to 1']);
  });

  it('is a warning that says why while the bundled agent runs the pods', async () => {
    const result = await runCheck(neededWithRuntime(ipv4ForwardCheck(), CONTAINERD), fakeHost(forwardingOff));
    expect(result.errors).toEqual([]);
    expect(result.warnings[0]).toMatch(/not set to 1; the bundled kubeforge agent runs pods on the host network/);
  });
});

describe('RealSystem.probeUnixSocket', () => {
  it('tells a listening socket, a dead socket file and a missing path apart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kubeforge-sock-'));
    const socket = path.join(dir, 'cri.sock');
    const system = new RealSystem();
    try {
      expect(await system.probeUnixSocket(socket)).toBe('absent');
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      expect(await system.probeUnixSocket(socket)).toBe('listening');
      await new Promise((resolve) => server.close(resolve));
      writeFileSync(socket, '');
      expect(await system.probeUnixSocket(socket)).toBe('refused');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('FileExisting-etcd', () => {
  it('fails when etcd is not on PATH, with the apt-get fix', async () => {
    const check = etcdBinaryCheck();
    expect((await runCheck(check, fakeHost())).errors).toEqual([
      'etcd not found in system path; install it with `apt-get install -y etcd-server etcd-client`',
    ]);
    expect(check.fix).toContain('apt-get install -y etcd-server etcd-client');
  });
});
