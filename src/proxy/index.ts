/**
 * The bundled kube-proxy (`kubeforge component kube-proxy --config=... --hostname-override=...`,
 * the command line of kubeadm's DaemonSet), iptables mode: it watches Services, EndpointSlices
 * and Nodes, renders the cluster's rules (rules.ts, a pure function) and applies them with one
 * iptables-restore --noflush (restore.ts: everything on a full sync, only changed chains after
 * that). Upstream's bounded-frequency runner: a change after a quiet spell syncs at once, then
 * no more often than minSyncPeriod; every syncPeriod a full sync repairs whatever changed the
 * kernel behind its back. Only the proxy holding the cluster's lock on this machine renders
 * (cluster.ts); the others stand by. Files:
 * - config.ts: flags and KubeProxyConfiguration; endpoints.ts: API objects → ports, endpoints, local nodes
 * - rules.ts, restore.ts: the rules and the restore input (pure); iptables.ts: applying and removing them
 */
import os from 'node:os';
import { createHost, resolveRoot, type Host } from '../host/index.js';
import { KubeClient, resourceRef, type KubeObject } from '../kube/index.js';
import { kubeClientConfig } from '../kubeconfig/index.js';
import { createLogger, type Logger } from '../log.js';
import { SharedInformers } from '../controlplane/common/controller.js';
import { clusterPrefix, tryProxyLock, type ProxyLock } from './cluster.js';
import { kubeProxyOptions } from './config.js';
import { localNodes, proxyServicePorts } from './endpoints.js';
import { checkIptables, IptablesProxier, removeProxyRules } from './iptables.js';
import { RenderCache, renderRules } from './rules.js';


/**
 * `reset`'s part: removes the cluster's kube-proxy rules when no kube-proxy of the cluster runs
 * on this machine any more (nobody holds its lock: this was the last node here, or the others'
 * proxies are gone too). Otherwise the holder keeps rendering them for the remaining nodes.
 */
export async function resetProxyRules(host: Host, caPem: string, log: Logger): Promise<void> {
  const prefix = clusterPrefix(caPem);
  const lock = await tryProxyLock(prefix);
  if (!lock) {
    log.info(`[reset] Keeping the kube-proxy rules ${prefix}: another node of this cluster on this machine still runs kube-proxy`);
    return;
  }
  try {
    await removeProxyRules(host.processes, prefix, log);
  } finally {
    await lock.release();
  }
}

const LOCK_RETRY_MS = 1000;
const ROUTE_LOCALNET = '/proc/sys/net/ipv4/conf/all/route_localnet';

export interface RunningProxy {
  /** Resolves once stopped (rules stay, as upstream's kube-proxy leaves them on exit). */
  done: Promise<void>;
  stop(): Promise<void>;
}

function machineAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address));
}

export async function runKubeProxy(argv: string[], deps: { host?: Host; log?: Logger } = {}): Promise<RunningProxy> {
  const host = deps.host ?? createHost(resolveRoot(undefined));
  const options = await kubeProxyOptions(argv, host.files);
  const log = deps.log ?? createLogger({ verbosity: options.verbosity });
  const clientConfig = await kubeClientConfig(host.files, options.kubeconfig);
  const prefix = clusterPrefix(String(clientConfig.ca));
  if (options.cleanup) {
    // upstream's --cleanup: remove what kube-proxy made and exit.
    await removeProxyRules(host.processes, prefix, log);
    return { done: Promise.resolve(), stop: async () => {} };
  }
  await checkIptables(host.processes);
  const client = new KubeClient({ ...clientConfig, userAgent: 'kube-proxy' });
  const controller = new AbortController();
  const informers = new SharedInformers(client, log);
  const services = informers.informerFor<KubeObject>(resourceRef('services'));
  const slices = informers.informerFor<KubeObject>(resourceRef('endpointslices'));
  const nodes = informers.informerFor<KubeObject>(resourceRef('nodes'));
  informers.start(controller.signal);
  const proxier = new IptablesProxier(host.processes, prefix, log);
  const cache = new RenderCache();
  let lock: ProxyLock | undefined;
  let lastSync = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const syncNow = async () => {
    if (!lock || controller.signal.aborted) return;
    lastSync = Date.now();
    const started = performance.now();
    const rules = renderRules(proxyServicePorts(services.list(), slices.list()), { prefix, clusterCIDR: options.clusterCIDR, nodes: localNodes(nodes.list(), machineAddresses()) }, cache);
    try {
      if (await proxier.sync(rules)) log.debug(2, `[kube-proxy] synced ${prefix} rules in ${(performance.now() - started).toFixed(1)} ms`);
    } catch (err) {
      log.warn(`[kube-proxy] ${err instanceof Error ? err.message : String(err)}`);
      schedule();
    }
  };
  /** Upstream's BoundedFrequencyRunner: at once after a quiet spell, else at lastSync + minSyncPeriod. */
  function schedule(): void {
    if (running) {
      again = true;
      return;
    }
    if (timer) return;
    const wait = Math.max(0, lastSync + options.minSyncPeriodMs - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      running = syncNow().finally(() => {
        running = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
    }, wait);
  }
  for (const informer of [services, slices, nodes]) informer.on({ add: schedule, update: schedule, delete: schedule });
  const periodic = setInterval(() => {
    proxier.invalidate();
    schedule();
  }, options.syncPeriodMs);

  const acquire = async () => {
    await Promise.all([services.synced(), slices.synced(), nodes.synced()]);
    while (!controller.signal.aborted && !lock) {
      lock = await tryProxyLock(prefix);
      if (lock) break;
      log.debug(1, `[kube-proxy] another kube-proxy of this cluster renders ${prefix} on this machine; standing by`);
      await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
    }
    if (!lock) return;
    if (controller.signal.aborted) return lock.release();
    log.info(`[kube-proxy] ${options.nodeName}: rendering the ${prefix} rules of this cluster on this machine`);
    // 127/8 addresses through the proxy: node ports on a node's 127.0.0.N reach pods, and pods
    // reach an endpoint on a node's 127.0.0.N (the API server behind the kubernetes Service), only
    // with route_localnet, which `all` turns on for every interface (upstream sets it for the
    // first). Written straight to /proc: the kube-proxy container has no sysctl program.
    await host.system.writeSystemFile(ROUTE_LOCALNET, '1').catch((err: Error) => log.warn(`[kube-proxy] cannot turn on route_localnet: ${err.message}`));
    proxier.invalidate();
    schedule();
  };
  void acquire().catch((err: unknown) => log.warn(`[kube-proxy] ${err instanceof Error ? err.message : String(err)}`));

  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  return {
    done,
    async stop() {
      controller.abort();
      clearInterval(periodic);
      if (timer) clearTimeout(timer);
      await running;
      await lock?.release();
      client.close();
      stopped();
    },
  };
}
