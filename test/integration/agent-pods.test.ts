import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { container, podNamed, ready, setup, start, startReadyWeb } from '../helpers/agent-context.js';
import { fixturePod, freePort, isAlive, pidOf, processesWith, sleep, waitFor, writeManifest } from '../helpers/agent-harness.js';
import type { Host } from '../../src/host/index.js';
import { readAgentStatus } from '../../src/agent/index.js';

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
    // The pod's 1 s grace period, not this 30 s default, is what the agent waits.
    const agent = await start(ctx, { defaultGracePeriodMs: 30_000 });
    await waitFor('stubborn to be Ready', () => ready(agent, 'stubborn'));
    const pid = pidOf(container(agent, 'stubborn')!.containerID)!;
    const begin = Date.now();
    await agent.stop();
    const took = Date.now() - begin;
    expect(isAlive(pid)).toBe(false);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(15_000);
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
