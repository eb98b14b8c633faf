import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { container, podNamed, ready, setup, start, startReadyWeb } from '../helpers/agent-context.js';
import { FIXTURE_SERVER, fixturePod, freePort, pidOf, sleep, waitFor, writeManifest } from '../helpers/agent-harness.js';

describe('node agent details', () => {
  it('reports RunContainerError when the program cannot be executed, and retries with back-off', async () => {
    const ctx = setup();
    await ctx.host.files.writeFile('/opt/not-executable', '#!/bin/sh\n', { mode: 0o644 });
    const program = ctx.host.files.resolve('/opt/not-executable');
    await writeManifest(ctx.host, 'bad.yaml', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [{ name: 'bad', image: 'example.test/bad:1', command: [program] }] } });
    const agent = await start(ctx, { backoffBaseMs: 100 });
    expect(container(agent, 'bad')!.state).toEqual({ waiting: { reason: 'RunContainerError', message: expect.stringContaining('EACCES') } });
    expect(podNamed(agent, 'bad')!.status.phase).toBe('Pending');
    expect(ctx.log.lines.filter((l) => l.includes('cannot start default/bad-node1/bad'))).toHaveLength(1);
  });

  it('runs exec probes and sets env in the container environment, with volume paths mapped under the root', async () => {
    const ctx = setup();
    const pod = fixturePod({ tag: ctx.root, name: 'web', port: await freePort(), readiness: false });
    const spec = pod.spec as { containers: Record<string, unknown>[]; volumes?: unknown[] };
    spec.containers[0]!.readinessProbe = { exec: { command: ['test', '-f', '/etc/app/ready'] }, periodSeconds: 1 };
    spec.containers[0]!.volumeMounts = [{ name: 'app', mountPath: '/etc/app' }];
    spec.containers[0]!.env = [{ name: 'READY_FILE', value: '/etc/app/ready' }, { name: 'PLAIN', value: 'x' }];
    spec.volumes = [{ name: 'app', hostPath: { path: '/srv/app', type: 'DirectoryOrCreate' } }];
    await writeManifest(ctx.host, 'web.yaml', pod);
    const agent = await start(ctx);
    await waitFor('web to run', () => container(agent, 'web')?.started);
    const environ = readFileSync(`/proc/${pidOf(container(agent, 'web')!.containerID)}/environ`, 'utf8').split('\0').filter(Boolean).sort();
    expect(environ).toEqual([`PATH=${process.env.PATH}`, 'PLAIN=x', `READY_FILE=${ctx.root}/srv/app/ready`]);
    await sleep(1500);
    expect(ready(agent, 'web')).toBe(false);
    writeFileSync(path.join(ctx.root, 'srv/app/ready'), '');
    await waitFor('web to be Ready', () => ready(agent, 'web'), 5000);
  });

  it('creates the manifest directory and notices a new manifest through its watch, long before the next re-scan', async () => {
    const ctx = setup();
    const agent = await start(ctx, { rescanMs: 60_000 });
    expect(agent.pods()).toEqual([]);
    await writeManifest(ctx.host, 'web.yaml', fixturePod({ tag: ctx.root, name: 'web', port: await freePort() }));
    await waitFor('web to start', () => container(agent, 'web')?.started, 3000);
  });

  it('reads manifests from staticPodPath and ignores hidden and non-manifest files', async () => {
    const ctx = setup();
    const port = await freePort();
    await ctx.host.files.writeFile('/srv/pods/.web.yaml.swp', 'junk');
    await ctx.host.files.writeFile('/srv/pods/README', 'junk');
    await ctx.host.files.writeFile('/srv/pods/web.yaml', (await import('js-yaml')).default.dump(fixturePod({ tag: ctx.root, name: 'web', port })));
    const agent = await start(ctx, { staticPodPath: '/srv/pods' });
    expect(agent.pods().map((p) => p.pod.source)).toEqual(['/srv/pods/web.yaml']);
    expect(agent.status().manifestErrors).toEqual([]);
  });
});

describe('probe effects', () => {
  it('marks the pod not Ready when its readiness probe fails, without restarting it', async () => {
    const ctx = setup();
    const flag = path.join(ctx.root, 'unhealthy');
    const { agent, pid } = await startReadyWeb(ctx, [`--unhealthy-file=${flag}`]);
    writeFileSync(flag, String(pid));
    await waitFor('web to be not Ready', () => !ready(agent, 'web'), 5000);
    expect(podNamed(agent, 'web')!.status.conditions.find((c) => c.type === 'ContainersReady')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(container(agent, 'web')).toMatchObject({ ready: false, started: true, restartCount: 0 });
    expect(pidOf(container(agent, 'web')!.containerID)).toBe(pid);
  });

  it('holds back readiness until the startup probe passes, and restarts a container whose startup probe keeps failing', async () => {
    const ctx = setup();
    const port = await freePort();
    const pod = fixturePod({ tag: ctx.root, name: 'web', port });
    const c = (pod.spec as { containers: Record<string, unknown>[] }).containers[0]!;
    c.startupProbe = { tcpSocket: { host: '127.0.0.1', port: await freePort() }, periodSeconds: 1, failureThreshold: 3 };
    await writeManifest(ctx.host, 'web.yaml', pod);
    const agent = await start(ctx);
    // By now the readiness probe alone would have passed (the server listens); the third startup failure is due at 2 s.
    await sleep(1500);
    expect(container(agent, 'web')).toMatchObject({ started: false, ready: false, restartCount: 0 });
    await waitFor('a restart after the startup probe failed', () => container(agent, 'web')!.restartCount >= 1, 8000);
    expect(ctx.log.lines.join('\n')).toMatch(/web-node1\/web failed its startup probe, restarting it: dial tcp 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  });
});

describe('control-plane images', () => {
  it('runs registry.k8s.io/kube-apiserver as `kubeforge component kube-apiserver` with its flags mapped under the root', async () => {
    const ctx = setup();
    const port = await freePort();
    await writeManifest(ctx.host, 'kube-apiserver.yaml', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'kube-apiserver', namespace: 'kube-system' },
      spec: {
        hostNetwork: true,
        containers: [
          {
            name: 'kube-apiserver',
            image: 'registry.k8s.io/kube-apiserver:v1.32.0',
            command: ['kube-apiserver', `--port=${port}`, '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt', '--etcd-servers=https://127.0.0.1:2379', `--tag=${ctx.root}`],
            readinessProbe: { httpGet: { host: '127.0.0.1', port, path: '/healthz' }, periodSeconds: 1 },
            volumeMounts: [{ name: 'k8s-certs', mountPath: '/etc/kubernetes/pki', readOnly: true }],
          },
        ],
        volumes: [{ name: 'k8s-certs', hostPath: { path: '/etc/kubernetes/pki', type: 'DirectoryOrCreate' } }],
      },
    });
    // The fixture server stands in for bin/kubeforge.js: it ignores `component kube-apiserver` and serves /healthz.
    const agent = await start(ctx, { kubeforgeCommand: [process.execPath, FIXTURE_SERVER] });
    await waitFor('kube-apiserver to be Ready', () => ready(agent, 'kube-apiserver'));
    const pid = pidOf(container(agent, 'kube-apiserver')!.containerID)!;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)).toEqual([
      process.execPath,
      FIXTURE_SERVER,
      'component',
      'kube-apiserver',
      `--port=${port}`,
      `--tls-cert-file=${ctx.root}/etc/kubernetes/pki/apiserver.crt`,
      '--etcd-servers=https://127.0.0.1:2379',
      `--tag=${ctx.root}`,
    ]);
    expect(existsSync(path.join(ctx.root, 'etc/kubernetes/pki'))).toBe(true);
  });
});

describe('restart policies', () => {
  const job = (root: string, name: string, exitCode: number, restartPolicy: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { restartPolicy, containers: [{ name, image: 'example.test/job:1', command: ['node', '-e', `process.exitCode = ${exitCode}`, '--', `--tag=${root}`] }] },
  });

  it('does not restart a container that completed under restartPolicy Never: the pod Succeeded', async () => {
    const ctx = setup();
    await writeManifest(ctx.host, 'job.yaml', job(ctx.root, 'job', 0, 'Never'));
    const agent = await start(ctx);
    await waitFor('the pod to succeed', () => podNamed(agent, 'job')?.status.phase === 'Succeeded');
    expect(container(agent, 'job')).toMatchObject({ restartCount: 0, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    await sleep(600);
    expect(container(agent, 'job')!.restartCount).toBe(0);
  });

  it('sees a container that exits at once as exited, and stops its pod without waiting', async () => {
    const ctx = setup();
    const pods = Array.from({ length: 5 }, (_, i) => `quick${i}`);
    for (const name of pods) {
      await writeManifest(ctx.host, `${name}.yaml`, { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { restartPolicy: 'Never', containers: [{ name, image: 'example.test/true:1', command: ['/bin/true', `--tag=${ctx.root}`] }] } });
    }
    const agent = await start(ctx);
    await waitFor('every pod to succeed', () => pods.every((n) => podNamed(agent, n)?.status.phase === 'Succeeded'), 5000);
    const begin = Date.now();
    await agent.stop();
    // Well under the 3 s grace period the context gives: the agent did not wait for exited containers.
    expect(Date.now() - begin).toBeLessThan(3000);
  });

  it('restarts a failing container under restartPolicy OnFailure, and a failed Never pod is Failed', async () => {
    const ctx = setup();
    await writeManifest(ctx.host, 'retry.yaml', job(ctx.root, 'retry', 3, 'OnFailure'));
    await writeManifest(ctx.host, 'once.yaml', job(ctx.root, 'once', 3, 'Never'));
    const agent = await start(ctx, { backoffBaseMs: 100 });
    await waitFor('two restarts', () => (container(agent, 'retry')?.restartCount ?? 0) >= 2);
    await waitFor('the Never pod to fail', () => podNamed(agent, 'once')?.status.phase === 'Failed');
    expect(container(agent, 'once')).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 3, reason: 'Error' } } });
  });
});
