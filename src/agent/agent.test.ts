import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupRoot, FIXTURE_SERVER, fixturePod, freePort, hostFor, isAlive, pidOf, processesWith, sleep, tempRoot, waitFor, writeManifest } from '../../test/helpers/agent-harness.js';
import type { Host } from '../host/index.js';
import { createMemoryLogger } from '../log.js';
import { readAgentStatus, runAgent, type AgentOptions, type RunningAgent } from './index.js';

interface Ctx {
  root: string;
  host: Host;
  log: ReturnType<typeof createMemoryLogger>;
  agents: RunningAgent[];
  pids: Set<number>;
}

const contexts: Ctx[] = [];

function setup(): Ctx {
  const root = tempRoot();
  const ctx: Ctx = { root, host: hostFor(root), log: createMemoryLogger(), agents: [], pids: new Set() };
  contexts.push(ctx);
  return ctx;
}

async function start(ctx: Ctx, extra: Partial<AgentOptions> = {}): Promise<RunningAgent> {
  const agent = await runAgent({
    host: ctx.host,
    nodeName: 'node1',
    nodeAddress: '127.0.0.1',
    log: ctx.log,
    backoffBaseMs: 400,
    rescanMs: 300,
    syncIntervalMs: 100,
    defaultGracePeriodMs: 3000,
    ...extra,
  });
  ctx.agents.push(agent);
  agent.onChange(() => {
    for (const p of agent.pods()) for (const c of p.status.containerStatuses) {
      const pid = pidOf(c.containerID);
      if (pid) ctx.pids.add(pid);
    }
  });
  return agent;
}

function podNamed(agent: RunningAgent, name: string) {
  return agent.pods().find((p) => p.pod.pod.metadata.name === `${name}-node1`);
}

function container(agent: RunningAgent, name: string) {
  return podNamed(agent, name)?.status.containerStatuses[0];
}

const ready = (agent: RunningAgent, name: string) => podNamed(agent, name)?.status.conditions.find((c) => c.type === 'Ready')?.status === 'True';

/** Writes web.yaml (the fixture server with `args`), starts an agent and waits until web is Ready. */
async function startReadyWeb(ctx: Ctx, args: string[] = [], extra: Partial<AgentOptions> = {}) {
  const port = await freePort();
  await writeManifest(ctx.host, 'web.yaml', fixturePod({ tag: ctx.root, name: 'web', port, args }));
  const agent = await start(ctx, extra);
  await waitFor('web to be Ready', () => ready(agent, 'web'));
  return { agent, port, pid: pidOf(container(agent, 'web')!.containerID)! };
}

afterEach(async () => {
  for (const ctx of contexts.splice(0)) {
    for (const agent of ctx.agents) await agent.stop('terminate').catch(() => {});
    await cleanupRoot(ctx.root, ctx.pids);
  }
});

describe('node agent with the process runner', () => {
  it('starts a static pod and marks it Ready once its readiness probe passes', async () => {
    const ctx = setup();
    const { agent } = await startReadyWeb(ctx);
    const status = podNamed(agent, 'web')!.status;
    expect(status.phase).toBe('Running');
    expect(status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['PodScheduled=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True']);
    expect(status.containerStatuses[0]).toMatchObject({ name: 'web', ready: true, started: true, restartCount: 0 });
    expect(status.containerStatuses[0]!.state).toHaveProperty('running.startedAt');
    const file = await waitFor('the status file to show Ready', async () => {
      const s = await readAgentStatus(ctx.host.files);
      return s?.pods[0]?.status.conditions.find((c) => c.type === 'Ready')?.status === 'True' && s;
    });
    expect(file).toMatchObject({ nodeName: 'node1', state: 'running', pods: [{ namespace: 'kube-system', name: 'web-node1', source: '/etc/kubernetes/manifests/web.yaml' }] });
  });

  it('restarts a killed container at once, then after the back-off, counting restarts', async () => {
    const ctx = setup();
    const { agent, pid: first } = await startReadyWeb(ctx, [], { backoffBaseMs: 1500 });
    process.kill(first, 'SIGKILL');
    const second = await waitFor('a second process', () => {
      const pid = pidOf(container(agent, 'web')?.containerID);
      return pid !== first && container(agent, 'web')?.state && 'running' in container(agent, 'web')!.state && pid;
    }, 5000);
    expect(container(agent, 'web')!.restartCount).toBe(1);
    expect(container(agent, 'web')!.lastState).toMatchObject({ terminated: { exitCode: 137, reason: 'Error' } });

    await waitFor('web to be Ready again', () => ready(agent, 'web'));
    const killedAt = Date.now();
    process.kill(second, 'SIGKILL');
    await waitFor('CrashLoopBackOff', () => {
      const s = container(agent, 'web')?.state;
      return s && 'waiting' in s && s.waiting.reason === 'CrashLoopBackOff';
    }, 3000);
    expect(podNamed(agent, 'web')!.status.phase).toBe('Running');
    await waitFor('a third process', () => {
      const pid = pidOf(container(agent, 'web')?.containerID);
      return pid !== second && 'running' in container(agent, 'web')!.state && pid;
    }, 6000);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1400);
    expect(container(agent, 'web')!.restartCount).toBe(2);
  });

  it('restarts a container whose liveness probe fails and counts the restart', async () => {
    const ctx = setup();
    const port = await freePort();
    const flag = path.join(ctx.root, 'unhealthy');
    await writeManifest(ctx.host, 'web.yaml', fixturePod({ tag: ctx.root, name: 'web', port, args: [`--unhealthy-file=${flag}`], liveness: { failureThreshold: 2 } }));
    const agent = await start(ctx);
    await waitFor('web to be Ready', () => ready(agent, 'web'));
    const first = pidOf(container(agent, 'web')!.containerID)!;
    writeFileSync(flag, String(first));
    await waitFor('a restarted container', () => container(agent, 'web')!.restartCount === 1 && 'running' in container(agent, 'web')!.state, 10_000);
    expect(pidOf(container(agent, 'web')!.containerID)).not.toBe(first);
    expect(isAlive(first)).toBe(false);
    expect(ctx.log.lines.join('\n')).toMatch(/web-node1\/web failed its liveness probe, restarting it: HTTP probe .* returned 500/);
    await waitFor('web to be Ready again', () => ready(agent, 'web'));
  });

  it('restarts the pod with the new arguments when its manifest changes', async () => {
    const ctx = setup();
    const { agent, port } = await startReadyWeb(ctx, ['--message=v1']);
    const oldPod = podNamed(agent, 'web')!;
    const oldPid = pidOf(oldPod.status.containerStatuses[0]!.containerID)!;
    await writeManifest(ctx.host, 'web.yaml', fixturePod({ tag: ctx.root, name: 'web', port, args: ['--message=v2'] }));
    await waitFor('the new pod to be Ready', () => podNamed(agent, 'web')?.pod.pod.metadata.uid !== oldPod.pod.pod.metadata.uid && ready(agent, 'web'), 10_000);
    const newPid = pidOf(container(agent, 'web')!.containerID)!;
    expect(newPid).not.toBe(oldPid);
    expect(isAlive(oldPid)).toBe(false);
    expect(readFileSync(`/proc/${newPid}/cmdline`, 'utf8')).toContain('--message=v2');
  });

  it('keeps the running pod when its manifest becomes invalid, and logs why', async () => {
    const ctx = setup();
    const { agent, pid } = await startReadyWeb(ctx);

    await writeManifest(ctx.host, 'web.yaml', 'apiVersion: v1\nkind: Pod\nspec: [unclosed\n');
    await agent.rescan();
    expect(ctx.log.lines.join('\n')).toMatch(/manifest \/etc\/kubernetes\/manifests\/web.yaml is invalid: invalid YAML/);
    await writeManifest(ctx.host, 'web.yaml', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [] } });
    await agent.rescan();
    expect(ctx.log.lines.join('\n')).toMatch(/web.yaml is invalid: invalid pod: spec.containers must list at least one container/);
    expect(ctx.log.lines.join('\n')).toMatch(/keeping kube-system\/web-node1 running/);
    await sleep(500);
    expect(pidOf(container(agent, 'web')!.containerID)).toBe(pid);
    expect(isAlive(pid)).toBe(true);
    expect(ready(agent, 'web')).toBe(true);
    expect(agent.status().manifestErrors).toEqual([{ source: '/etc/kubernetes/manifests/web.yaml', reason: expect.stringContaining('invalid pod') }]);
  });

  it('stops the pod when its manifest is removed', async () => {
    const ctx = setup();
    const { agent, pid } = await startReadyWeb(ctx);
    await ctx.host.files.remove('/etc/kubernetes/manifests/web.yaml');
    await waitFor('the pod to be gone', () => agent.pods().length === 0 && !isAlive(pid), 10_000);
    expect(await ctx.host.files.list('/run/kubeforge/pods')).toEqual([]);
  });

  it('adopts the running container after a detached stop instead of starting a duplicate', async () => {
    const ctx = setup();
    const { agent: first, pid } = await startReadyWeb(ctx);
    await first.stop('detach');
    expect(isAlive(pid)).toBe(true);
    expect((await readAgentStatus(ctx.host.files))?.state).toBe('detached');

    const second = await start(ctx);
    expect(pidOf(container(second, 'web')!.containerID)).toBe(pid);
    expect(container(second, 'web')!.restartCount).toBe(0);
    await waitFor('web to be Ready under the second agent', () => ready(second, 'web'));
    await sleep(300);
    expect(processesWith(`--tag=${ctx.root}`)).toEqual([pid]);
    expect(ctx.log.lines.join('\n')).toContain(`adopted kube-system/web-node1/web (process://${pid}.`);

    // The adopted process is not the agent's child, yet its death is noticed and it is restarted.
    process.kill(pid, 'SIGKILL');
    await waitFor('a restart of the adopted container', () => container(second, 'web')!.restartCount === 1 && 'running' in container(second, 'web')!.state, 5000);
    expect(container(second, 'web')!.lastState).toMatchObject({ terminated: { reason: 'ContainerStatusUnknown' } });
  });

  it('stops a pod left running by an earlier agent whose manifest was removed meanwhile', async () => {
    const ctx = setup();
    const { agent: first, pid } = await startReadyWeb(ctx);
    await first.stop('detach');
    await ctx.host.files.remove('/etc/kubernetes/manifests/web.yaml');
    const second = await start(ctx);
    expect(second.pods()).toEqual([]);
    expect(isAlive(pid)).toBe(false);
  });

  it('stops every pod in reverse start order on stop()', async () => {
    const ctx = setup();
    const stopLog = path.join(ctx.root, 'stop-order');
    for (const name of ['a', 'b', 'c']) {
      await writeManifest(ctx.host, `${name}.yaml`, fixturePod({ tag: ctx.root, name, port: await freePort(), args: [`--stop-log=${stopLog}`] }));
    }
    const agent = await start(ctx);
    await waitFor('all pods Ready', () => ['a', 'b', 'c'].every((n) => ready(agent, n)));
    const pids = ['a', 'b', 'c'].map((n) => pidOf(container(agent, n)!.containerID)!);
    await agent.stop();
    expect(readFileSync(stopLog, 'utf8')).toBe('c\nb\na\n');
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect((await readAgentStatus(ctx.host.files))?.state).toBe('stopped');
  });

  it('kills a container that ignores SIGTERM once its grace period is over', async () => {
    const ctx = setup();
    await writeManifest(ctx.host, 'stubborn.yaml', fixturePod({ tag: ctx.root, name: 'stubborn', port: await freePort(), args: ['--ignore-term'], terminationGracePeriodSeconds: 1 }));
    const agent = await start(ctx);
    await waitFor('stubborn to be Ready', () => ready(agent, 'stubborn'));
    const pid = pidOf(container(agent, 'stubborn')!.containerID)!;
    const begin = Date.now();
    await agent.stop();
    const took = Date.now() - begin;
    expect(isAlive(pid)).toBe(false);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(3000);
  });

  it("appends the container's stdout and stderr to /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log", async () => {
    const ctx = setup();
    const { agent, port } = await startReadyWeb(ctx, ['--message=hello-log']);
    const uid = podNamed(agent, 'web')!.pod.pod.metadata.uid;
    const logFile = path.join(ctx.root, 'var/log/pods', `kube-system_web-node1_${uid}`, 'web', '0.log');
    const text = await waitFor('both lines in the log', () => {
      const t = existsSync(logFile) && readFileSync(logFile, 'utf8');
      return t && t.includes('listening on') && t;
    });
    expect(text).toContain('message=hello-log');
    expect(text).toContain(`listening on ${port}`);
  });

  it('reports ImageNotSupported for an image it cannot map to a program', async () => {
    const ctx = setup();
    const pod = fixturePod({ tag: ctx.root, name: 'nope', port: 1, image: 'docker.io/library/nginx:1.27' });
    (pod.spec as { containers: { command: string[] }[] }).containers[0]!.command = ['nginx', '-g', 'daemon off;'];
    await writeManifest(ctx.host, 'nope.yaml', pod);
    // The real system probe, except that nothing is found on PATH.
    const system = Object.assign(Object.create(ctx.host.system) as Host['system'], { which: async () => undefined });
    const agent = await start(ctx, { host: { ...ctx.host, system } });
    const status = podNamed(agent, 'nope')!.status;
    expect(status.phase).toBe('Pending');
    expect(status.containerStatuses[0]!.state).toEqual({ waiting: { reason: 'ImageNotSupported', message: expect.stringContaining('"nginx" (an absolute path or a program on PATH) was not found') } });
  });
});

describe('node agent details', () => {
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

  it('notices a new manifest through the directory watch, long before the next re-scan', async () => {
    const ctx = setup();
    await ctx.host.files.mkdir('/etc/kubernetes/manifests');
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
