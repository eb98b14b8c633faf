/**
 * The CRI runner: a PodRunner that runs a pod as a CRI sandbox (network namespace on the node's
 * CNI bridge) with one runtime container per container, through the runtime's RuntimeService and
 * ImageService, as the kubelet's kuberuntime manager does. Image pull policy and pull errors,
 * container attempts (restartCount = attempt, logs in <attempt>.log), exec probes through
 * ExecSync, and sandboxes found again by their labels after an agent restart. The runtime owns
 * the processes; this class keeps no state a restart would lose except a cache of sandbox ids.
 */
import type { PodStreams, StreamRequest } from '../kubelet-streams.js';
import { ContainerStartError, type ContainerRuntimeState, type ExecResult, type PodRunner } from '../runner.js';
import type { Container, Pod, StaticPod } from '../pod.js';
import type { Host } from '../../host/index.js';
import type { Logger } from '../../log.js';
import type { Unsubscribe } from '../listeners.js';
import { CriClient, CriError, GRPC_NOT_FOUND } from './client.js';
import { containerConfig, podLogDirectory, POD_ANNOTATION, POD_UID_LABEL, CONTAINER_NAME_LABEL, sandboxConfig } from './pod-config.js';
import type { PodResources } from './pod-resources.js';
import { bundledImage, bundleEnv, bundleMounts } from './bundled-images.js';
import type { BundledImageSource } from './bundle-source.js';
import type { DnsConfig } from './pod-dns.js';
import { managedHostsFile } from './etc-hosts.js';
import { Pleg, type ListedContainer } from './pleg.js';
import { VolumeContents } from './volume-contents.js';
import { nodeImages, type ContainerImage, type RuntimeImage } from '../node-object.js';

/** What the runner reports as it works, for the pod's Events. */
export type PodEventSink = (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface CriRunnerOptions {
  host: Host;
  log: Logger;
  endpoint: string;
  resources: PodResources;
  events?: PodEventSink;
  /** The pod's resolv.conf (pod-dns.ts); without it the runtime copies the node's. */
  dns?: (pod: Pod) => Promise<DnsConfig>;
  /** The kubelet's clusterDomain, for the FQDN of pods with a subdomain in their /etc/hosts. */
  clusterDomain?: string;
  /** Images kubeforge bundles (CoreDNS, kube-proxy) are built and imported here instead of pulled. */
  bundled?: BundledImageSource;
  /** The PLEG's relist period (1 s, as the kubelet's). */
  relistMs?: number;
}

interface CriContainer {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number };
  state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
  createdAt: number;
  labels: Record<string, string>;
}

interface CriContainerStatus {
  id: string;
  state: CriContainer['state'];
  startedAt: number;
  finishedAt: number;
  createdAt: number;
  exitCode: number;
  reason: string;
  message: string;
  logPath: string;
  imageRef: string;
}

interface Sandbox {
  id: string;
  config: Record<string, unknown>;
  ip?: string;
}

const nsToDate = (ns: number) => new Date(Math.floor(ns / 1e6));

export class CriRunner implements PodRunner, PodStreams {
  private clientPromise: Promise<CriClient> | undefined;
  private readonly sandboxes = new Map<string, Sandbox>();
  /** The next sandbox attempt of a pod whose last RunPodSandbox failed, by pod uid. */
  private readonly failedSandboxes = new Map<string, number>();
  private readonly logPaths = new Map<string, string>();
  private readonly imageIds = new Map<string, string>();
  private readonly volumes: VolumeContents;
  private readonly pleg: Pleg;

  constructor(private readonly options: CriRunnerOptions) {
    this.volumes = new VolumeContents({ prepare: (pod) => options.resources.prepare(pod), clock: options.host.clock, log: options.log });
    let lastError = '';
    this.pleg = new Pleg({
      relistMs: options.relistMs ?? 1000,
      list: async () => (await this.call<{ containers: ListedContainer[] }>('ListContainers', {})).containers,
      onError: (err) => {
        // The runtime down or restarting: said once, not every second.
        if (err.message !== lastError) options.log.warn(`agent: relisting containers: ${err.message}`);
        lastError = err.message;
      },
    });
  }

  private client(): Promise<CriClient> {
    this.clientPromise ??= CriClient.connect(this.options.endpoint);
    return this.clientPromise;
  }

  private async call<T>(method: Parameters<CriClient['call']>[0], request: Record<string, unknown>, timeoutMs?: number, signal?: AbortSignal): Promise<T> {
    return (await this.client()).call<T>(method, request, timeoutMs, signal);
  }

  private event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.options.events?.(pod, type, reason, message);
  }

  async listPods(): Promise<StaticPod[]> {
    const { items } = await this.call<{ items: { annotations: Record<string, string> }[] }>('ListPodSandbox', {});
    const pods = new Map<string, StaticPod>();
    for (const item of items) {
      const raw = item.annotations[POD_ANNOTATION];
      if (!raw) continue;
      const pod = JSON.parse(raw) as Pod;
      pods.set(pod.metadata.uid, { pod, source: `api:${pod.metadata.namespace}/${pod.metadata.name}`, specHash: '' });
    }
    return [...pods.values()];
  }

  async startPod(pod: StaticPod): Promise<void> {
    await this.options.host.files.mkdir(podLogDirectory(pod.pod));
  }

  /** The ready sandbox of the pod: the cached one, one left by an earlier agent, or a new one. */
  private async sandbox(pod: Pod): Promise<Sandbox> {
    const cached = this.sandboxes.get(pod.metadata.uid);
    if (cached) return cached;
    const { items } = await this.call<{ items: { id: string; state: string; metadata?: { attempt?: number } }[] }>('ListPodSandbox', { filter: { labelSelector: { [POD_UID_LABEL]: pod.metadata.uid } } });
    let id = items.find((s) => s.state === 'SANDBOX_READY')?.id;
    // As the kubelet: a new sandbox after a failed or dead one gets the next attempt number (the
    // runtime keeps a failed sandbox's name reserved), and the dead ones are removed.
    const attempt = Math.max(this.failedSandboxes.get(pod.metadata.uid) ?? 0, ...items.map((s) => (s.metadata?.attempt ?? 0) + 1));
    const config = sandboxConfig({ pod, logDirectory: this.options.host.files.resolve(podLogDirectory(pod)), dns: await this.options.dns?.(pod), attempt: id ? 0 : attempt });
    if (!id) {
      for (const dead of items) await this.removeSandbox(dead.id);
      try {
        ({ podSandboxId: id } = await this.call<{ podSandboxId: string }>('RunPodSandbox', { config }, 4 * 60_000));
      } catch (err) {
        this.failedSandboxes.set(pod.metadata.uid, attempt + 1);
        const message = `Failed to create pod sandbox: ${(err as Error).message}`;
        this.event(pod, 'Warning', 'FailedCreatePodSandBox', message);
        throw new ContainerStartError('ContainerCreating', message);
      }
      this.failedSandboxes.delete(pod.metadata.uid);
    }
    const status = await this.call<{ status: { network?: { ip?: string } } }>('PodSandboxStatus', { podSandboxId: id });
    const sandbox = { id, config, ip: status.status.network?.ip || undefined };
    this.sandboxes.set(pod.metadata.uid, sandbox);
    return sandbox;
  }

  podIPs(pod: StaticPod): string[] | undefined {
    const ip = this.sandboxes.get(pod.pod.metadata.uid)?.ip;
    return ip ? [ip] : undefined;
  }

  async adopt(pod: StaticPod): Promise<Map<string, ContainerRuntimeState>> {
    const states = await this.status(pod);
    if (states.size > 0) await this.sandbox(pod.pod);
    return new Map([...states].filter(([, s]) => s.state === 'running'));
  }

  /** Pulls the image as the container's imagePullPolicy says; ErrImagePull with the runtime's message when it cannot. */
  private async ensureImage(pod: Pod, c: Container, sandboxConfig: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    const policy = (c as { imagePullPolicy?: string }).imagePullPolicy ?? (/:latest$|^[^:]*$/.test(c.image.replace(/^[^/]*:\d+\//, '')) ? 'Always' : 'IfNotPresent');
    const present = await this.call<{ image?: { id?: string } | null }>('ImageStatus', { image: { image: c.image } });
    const bundled = this.options.bundled && bundledImage(c.image);
    if (bundled && !present.image?.id) {
      // No registry is asked: the add-on runs from kubeforge's bundle (a real image imported under this name wins).
      await this.options.bundled!.provide(c.image, bundled).catch((err: Error) => {
        this.event(pod, 'Warning', 'Failed', `Failed to build image "${c.image}" from kubeforge's bundle: ${err.message}`);
        throw new ContainerStartError('ErrImagePull', err.message);
      });
      const built = await this.call<{ image?: { id?: string } | null }>('ImageStatus', { image: { image: c.image } });
      if (built.image?.id) this.imageIds.set(c.image, built.image.id);
      this.event(pod, 'Normal', 'Pulled', `Container image "${c.image}" built from kubeforge's bundled ${bundled.component}`);
      return;
    }
    if (present.image?.id && (policy !== 'Always' || bundled)) {
      this.imageIds.set(c.image, present.image.id);
      this.event(pod, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
      return;
    }
    if (policy === 'Never') {
      const message = `Container image "${c.image}" is not present with pull policy of Never`;
      this.event(pod, 'Warning', 'ErrImageNeverPull', message);
      throw new ContainerStartError('ErrImageNeverPull', message);
    }
    this.event(pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
    const started = Date.now();
    try {
      const auth = await this.options.resources.pullAuth(pod, c.image);
      const { imageRef } = await this.call<{ imageRef: string }>('PullImage', { image: { image: c.image }, ...(auth ? { auth } : {}), sandboxConfig }, undefined, signal);
      this.imageIds.set(c.image, imageRef);
      this.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in ${Date.now() - started}ms`);
    } catch (err) {
      // A pull that fails while the image is present (Always, registry unreachable) uses the local copy, as containerd's users expect offline.
      if (present.image?.id) return;
      if (signal?.aborted) throw err;
      const message = `Failed to pull image "${c.image}": ${err instanceof CriError ? err.details : (err as Error).message}`;
      this.event(pod, 'Warning', 'Failed', message);
      throw new ContainerStartError('ErrImagePull', message);
    }
  }

  async startContainer(pod: StaticPod, container: Container, restartCount: number, signal?: AbortSignal): Promise<ContainerRuntimeState> {
    // The volumes are written while the runtime makes the sandbox, which needs none of them: their
    // API requests (a service-account token, ConfigMaps) then add no time before the container
    // starts. Both settle before a failure is thrown, so no RunPodSandbox is still under way when
    // the worker tries again (a second one for the same pod fails on its reserved name).
    const [made, written] = await Promise.allSettled([this.sandbox(pod.pod), this.volumes.ensure(pod.pod)]);
    if (made.status === 'rejected') throw made.reason;
    if (written.status === 'rejected') throw written.reason;
    const sandbox = made.value;
    await this.ensureImage(pod.pod, container, sandbox.config, signal);
    let resolved;
    try {
      resolved = await this.options.resources.resolve(pod.pod, container, { podIP: sandbox.ip });
    } catch (err) {
      this.event(pod.pod, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
      throw new ContainerStartError('CreateContainerConfigError', (err as Error).message);
    }
    if (pod.pod.spec.hostNetwork !== true && !resolved.mounts.some((m) => m.containerPath === '/etc/hosts')) {
      // The kubelet-managed /etc/hosts: the pod's own (FQDN) name, localhost, hostAliases.
      const file = `/var/lib/kubelet/pods/${pod.pod.metadata.uid}/etc-hosts`;
      await this.options.host.files.writeFile(file, managedHostsFile(pod.pod, sandbox.ip ? [sandbox.ip] : [], this.options.clusterDomain ?? ''));
      resolved = { ...resolved, mounts: [...resolved.mounts, { containerPath: '/etc/hosts', hostPath: this.options.host.files.resolve(file), readonly: false }] };
    }
    const bundled = this.options.bundled && bundledImage(container.image);
    if (bundled && (await this.options.bundled!.isBundled(bundled, this.imageIds.get(container.image) ?? ''))) {
      const facts = await this.options.bundled!.facts();
      resolved = { ...resolved, mounts: [...resolved.mounts, ...bundleMounts(facts, bundled)], env: [...bundleEnv(facts, bundled), ...resolved.env] };
    }
    const podSecurity = (pod.pod.spec.securityContext ?? {}) as { runAsUser?: number; runAsGroup?: number };
    let containerId: string;
    try {
      ({ containerId } = await this.call<{ containerId: string }>('CreateContainer', {
        podSandboxId: sandbox.id,
        config: containerConfig(pod.pod, container, restartCount, resolved, podSecurity),
        sandboxConfig: sandbox.config,
      }));
    } catch (err) {
      const message = err instanceof CriError ? err.details : (err as Error).message;
      this.event(pod.pod, 'Warning', 'Failed', `Error: ${message}`);
      throw new ContainerStartError('CreateContainerError', message);
    }
    this.event(pod.pod, 'Normal', 'Created', `Created container ${container.name}`);
    try {
      await this.call('StartContainer', { containerId }, 2 * 60_000);
    } catch (err) {
      const message = err instanceof CriError ? err.details : (err as Error).message;
      this.event(pod.pod, 'Warning', 'Failed', `Error: ${message}`);
      await this.call('RemoveContainer', { containerId }).catch(() => {});
      throw new ContainerStartError('RunContainerError', message);
    }
    this.event(pod.pod, 'Normal', 'Started', `Started container ${container.name}`);
    this.logPaths.set(`${pod.pod.metadata.uid}/${container.name}`, this.options.host.files.resolve(`${podLogDirectory(pod.pod)}/${container.name}/${restartCount}.log`));
    return { state: 'running', id: `containerd://${containerId}`, startedAt: new Date(), restartCount };
  }

  private async containers(pod: Pod): Promise<CriContainer[]> {
    const { containers } = await this.call<{ containers: CriContainer[] }>('ListContainers', { filter: { labelSelector: { [POD_UID_LABEL]: pod.metadata.uid } } });
    return containers;
  }

  /** The newest container of each name (highest attempt), and the older ones. */
  private newest(containers: CriContainer[]): { latest: Map<string, CriContainer>; older: CriContainer[] } {
    const latest = new Map<string, CriContainer>();
    const older: CriContainer[] = [];
    for (const c of [...containers].sort((a, b) => a.metadata.attempt - b.metadata.attempt || a.createdAt - b.createdAt)) {
      const name = c.labels[CONTAINER_NAME_LABEL] ?? c.metadata.name;
      const before = latest.get(name);
      if (before) older.push(before);
      latest.set(name, c);
    }
    return { latest, older };
  }

  async stopContainer(pod: StaticPod, containerName: string, gracePeriodMs: number): Promise<void> {
    const running = (await this.containers(pod.pod)).filter((c) => c.metadata.name === containerName && c.state === 'CONTAINER_RUNNING');
    for (const c of running) {
      this.event(pod.pod, 'Normal', 'Killing', `Stopping container ${containerName}`);
      await this.call('StopContainer', { containerId: c.id, timeout: Math.ceil(gracePeriodMs / 1000) }, gracePeriodMs + 30_000);
    }
  }

  async stopPod(pod: StaticPod, gracePeriodMs: number): Promise<void> {
    const containers = await this.containers(pod.pod);
    await Promise.all(containers.filter((c) => c.state === 'CONTAINER_RUNNING').map(async (c) => {
      this.event(pod.pod, 'Normal', 'Killing', `Stopping container ${c.metadata.name}`);
      await this.call('StopContainer', { containerId: c.id, timeout: Math.ceil(gracePeriodMs / 1000) }, gracePeriodMs + 30_000);
    }));
    const { items } = await this.call<{ items: { id: string }[] }>('ListPodSandbox', { filter: { labelSelector: { [POD_UID_LABEL]: pod.pod.metadata.uid } } });
    for (const s of items) await this.removeSandbox(s.id);
    this.sandboxes.delete(pod.pod.metadata.uid);
    this.failedSandboxes.delete(pod.pod.metadata.uid);
    this.volumes.forget(pod.pod.metadata.uid);
    for (const key of [...this.logPaths.keys()]) if (key.startsWith(`${pod.pod.metadata.uid}/`)) this.logPaths.delete(key);
    await this.options.resources.cleanup(pod.pod);
  }

  private async removeSandbox(podSandboxId: string): Promise<void> {
    await this.call('StopPodSandbox', { podSandboxId });
    await this.call('RemovePodSandbox', { podSandboxId });
  }

  async status(pod: StaticPod): Promise<Map<string, ContainerRuntimeState>> {
    const { latest, older } = this.newest(await this.containers(pod.pod));
    const states = new Map<string, ContainerRuntimeState>();
    for (const [name, c] of latest) {
      let status: CriContainerStatus;
      try {
        ({ status } = await this.call<{ status: CriContainerStatus }>('ContainerStatus', { containerId: c.id }));
      } catch (err) {
        if (err instanceof CriError && err.code === GRPC_NOT_FOUND) continue;
        throw err;
      }
      const restartCount = c.metadata.attempt;
      this.logPaths.set(`${pod.pod.metadata.uid}/${name}`, status.logPath);
      if (status.state === 'CONTAINER_RUNNING') {
        states.set(name, { state: 'running', id: `containerd://${c.id}`, startedAt: nsToDate(status.startedAt), restartCount });
      } else if (status.state === 'CONTAINER_EXITED') {
        states.set(name, {
          state: 'exited',
          id: `containerd://${c.id}`,
          startedAt: nsToDate(status.startedAt || status.createdAt),
          finishedAt: nsToDate(status.finishedAt || status.createdAt),
          exitCode: status.exitCode,
          reason: status.reason || (status.exitCode === 0 ? 'Completed' : 'Error'),
          ...(status.message ? { message: status.message } : {}),
          restartCount,
        });
      }
    }
    // Keep the newest exited container of each name (for `logs --previous`); remove the rest.
    for (const c of older) {
      const next = latest.get(c.labels[CONTAINER_NAME_LABEL] ?? c.metadata.name);
      if (next && next.metadata.attempt > c.metadata.attempt + 1 && c.state !== 'CONTAINER_RUNNING') await this.call('RemoveContainer', { containerId: c.id }).catch(() => {});
    }
    return states;
  }

  async exec(pod: StaticPod, containerName: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const running = (await this.containers(pod.pod)).find((c) => c.metadata.name === containerName && c.state === 'CONTAINER_RUNNING');
    if (!running) return { exitCode: 1, output: `container ${containerName} is not running` };
    const result = await this.call<{ stdout: Buffer; stderr: Buffer; exitCode: number }>('ExecSync', { containerId: running.id, cmd: command, timeout: Math.ceil(timeoutMs / 1000) }, timeoutMs + 5000);
    return { exitCode: result.exitCode, output: Buffer.concat([result.stdout, result.stderr]).toString('utf8') };
  }

  /** The runtime's streaming URL for `kubectl exec` into a running container (CRI Exec). */
  async execUrl(pod: StaticPod, containerName: string, request: StreamRequest & { cmd: string[] }): Promise<string> {
    const containerId = await this.runningContainerId(pod, containerName);
    return (await this.call<{ url: string }>('Exec', { containerId, ...request })).url;
  }

  /** The runtime's streaming URL for `kubectl attach` (CRI Attach). */
  async attachUrl(pod: StaticPod, containerName: string, request: StreamRequest): Promise<string> {
    const containerId = await this.runningContainerId(pod, containerName);
    return (await this.call<{ url: string }>('Attach', { containerId, ...request })).url;
  }

  /** The runtime's streaming URL for `kubectl port-forward` into the pod's sandbox (CRI PortForward). */
  async portForwardUrl(pod: StaticPod, ports: number[]): Promise<string> {
    const { items } = await this.call<{ items: { id: string; state: string }[] }>('ListPodSandbox', { filter: { labelSelector: { [POD_UID_LABEL]: pod.pod.metadata.uid } } });
    const ready = items.find((s) => s.state === 'SANDBOX_READY');
    if (!ready) throw new Error(`pod sandbox of "${pod.pod.metadata.name}" is not running`);
    return (await this.call<{ url: string }>('PortForward', { podSandboxId: ready.id, port: ports })).url;
  }

  /** As the kubelet's findContainer: the error names the container. */
  private async runningContainerId(pod: StaticPod, containerName: string): Promise<string> {
    const running = (await this.containers(pod.pod)).find((c) => c.metadata.name === containerName && c.state === 'CONTAINER_RUNNING');
    if (!running) throw new Error(`container not found ("${containerName}")`);
    return running.id;
  }

  logPath(pod: StaticPod, containerName: string): string {
    return this.logPaths.get(`${pod.pod.metadata.uid}/${containerName}`) ?? this.options.host.files.resolve(`${podLogDirectory(pod.pod)}/${containerName}/0.log`);
  }

  /** The images the runtime holds, for Node.status.images; undefined while the runtime does not answer. */
  async images(): Promise<ContainerImage[] | undefined> {
    try {
      return nodeImages((await this.call<{ images: RuntimeImage[] }>('ListImages', {}, 3000)).images);
    } catch {
      return undefined;
    }
  }

  /** The image id the runtime resolved for an image name (imageID in the container status). */
  imageId(image: string): string | undefined {
    return this.imageIds.get(image);
  }

  /** Every container that starts, exits or goes away, from the PLEG's relist (the runtime has no push here). */
  onContainerExit(listener: (podUid: string, containerName: string) => void): Unsubscribe {
    return this.pleg.subscribe(listener);
  }

  detach(): void {
    this.sandboxes.clear();
    this.volumes.clear();
    void this.clientPromise?.then((c) => c.close());
    this.clientPromise = undefined;
  }
}
