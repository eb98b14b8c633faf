import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHost } from '../../src/host/index.js';
import { runCheck } from '../helpers/fake-host.js';
import { portOpenCheck } from '../../src/preflight/checks/ports.js';
import { resumableFileCheck, resumablePortCheck } from '../../src/preflight/checks/resume.js';
import { fileAvailableCheck } from '../../src/preflight/checks/files.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A real listener whose command line names `marker`, as a node's pods name its root. */
async function listener(address: string, marker: string): Promise<number> {
  const child = spawn(process.execPath, ['-e', `const s=require('net').createServer().listen(0,'${address}',()=>console.log(s.address().port))`, '--', marker]);
  children.push(child);
  return new Promise((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
}

function root(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kf-resume-'));
  dirs.push(dir);
  return dir;
}

describe('re-running init on an interrupted root', () => {
  const address = '127.0.0.62';

  it("only warns about a port this root's own processes hold", async () => {
    const dir = root();
    const port = await listener(address, `--data-dir=${dir}/var/lib/etcd`);
    const result = await runCheck(resumablePortCheck(portOpenCheck(port, address), dir, address, port), createHost(dir));
    expect(result.errors).toEqual([]);
    expect(result.warnings[0]).toMatch(new RegExp(`Port ${port} is in use.*earlier kubeforge init of this root`));
  });

  it('still fails on a port another root or program holds', async () => {
    const dir = root();
    const port = await listener(address, '/some/other/root');
    const result = await runCheck(resumablePortCheck(portOpenCheck(port, address), dir, address, port), createHost(dir));
    expect(result.errors[0]).toMatch(new RegExp(`Port ${port} is in use`));
  });

  it("turns an existing manifest of this root's earlier init into a warning", async () => {
    const dir = root();
    const host = createHost(dir);
    await host.files.writeFile('/etc/kubernetes/manifests/etcd.yaml', 'x');
    const result = await runCheck(resumableFileCheck(fileAvailableCheck('/etc/kubernetes/manifests/etcd.yaml')), host);
    expect(result.errors).toEqual([]);
    expect(result.warnings[0]).toContain('already exists (left by an earlier kubeforge init of this root');
  });
});
