/** `kubeforge reset`: stops everything a root runs and removes everything init wrote. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeforge, tempRoot } from '../helpers/cli.js';
import { pidsMentioning } from '../helpers/processes.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function root(): Promise<string> {
  const { dir, cleanup } = await tempRoot();
  cleanups.push(cleanup);
  return dir;
}

describe('kubeforge reset', () => {
  it('says so and exits 0 on a root that was never initialised', async () => {
    const dir = await root();
    const result = await kubeforge(['reset', '--root', dir, '-f']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('Nothing to reset');
  });

  it('asks first, and without a yes changes nothing', async () => {
    const dir = await root();
    await kubeforge(['init', 'phase', 'certs', 'ca', '--root', dir]);
    const result = await kubeforge(['reset', '--root', dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/reset aborted: nothing was changed/);
    expect(await readdir(path.join(dir, 'etc/kubernetes/pki'))).toEqual(['ca.crt', 'ca.key']);
  });

  it('stops the agent and the pods a killed agent left, and leaves no file of the root', async () => {
    const dir = await root();
    // up to a running control plane (the phases that only talk to the API are skipped)
    const init = await kubeforge(['init', '--root', dir, '--apiserver-advertise-address', '127.0.0.25', '--node-name', 'cp1',
      '--skip-phases', 'upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon,show-join-command']);
    expect(init.exitCode, init.stderr).toBe(0);
    const agent = JSON.parse(await readFile(path.join(dir, 'run/kubeforge/agent.pid'), 'utf8')) as { pid: number };
    process.kill(agent.pid, 'SIGKILL');
    await expect.poll(() => pidsMentioning(dir), { timeout: 10_000 }).not.toContain(agent.pid);
    expect((await pidsMentioning(dir)).length).toBeGreaterThan(0);

    const result = await kubeforge(['reset', '--root', dir, '-f']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('Stopping static pod kube-system/etcd-cp1');
    expect(await pidsMentioning(dir)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });
});
