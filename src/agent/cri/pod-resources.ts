/**
 * What a pod's containers get from outside the image: environment (literal, fieldRef,
 * configMapKeyRef, secretKeyRef, envFrom) and volumes (emptyDir, hostPath, configMap, secret,
 * downwardAPI, projected service-account token + kube-root-ca.crt + namespace) written under
 * <root>/var/lib/kubelet/pods/<uid>/volumes, and the registry credentials of imagePullSecrets.
 * The CRI runner asks; this answers from the API server (through `objects`).
 */
import path from 'node:path';
import { underRoot, type Host } from '../../host/index.js';
import type { Container, Pod, Volume } from '../pod.js';
import type { CriMount, ResolvedContainer } from './pod-config.js';

/** Reads API objects the pod refers to; undefined when the object does not exist. */
export interface PodObjects {
  configMap(namespace: string, name: string): Promise<{ data?: Record<string, string>; binaryData?: Record<string, string> } | undefined>;
  secret(namespace: string, name: string): Promise<{ data?: Record<string, string>; type?: string } | undefined>;
  /** A bound service-account token (TokenRequest) for the pod, and when it expires (RFC 3339) if the API server said. */
  serviceAccountToken(pod: Pod, audience: string | undefined, expirationSeconds: number): Promise<{ token: string; expirationTimestamp?: string }>;
}

export interface PodResources {
  /** Writes the pod's volume contents; returns when they must be written again (epoch ms: a projected token's refresh), if ever. */
  prepare(pod: Pod): Promise<number | undefined>;
  resolve(pod: Pod, container: Container, facts: { podIP?: string }): Promise<ResolvedContainer>;
  cleanup(pod: Pod): Promise<void>;
  /** Registry credentials for the image from the pod's imagePullSecrets (a CRI AuthConfig). */
  pullAuth(pod: Pod, image: string): Promise<Record<string, string> | undefined>;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    resourceFieldRef?: { resource: string };
  };
}

interface EnvFrom {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

interface DownwardItem {
  path: string;
  fieldRef?: { fieldPath: string };
}

interface ProjectionSource {
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[] };
}

interface PodVolume extends Volume {
  emptyDir?: Record<string, unknown>;
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { secretName: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[] };
  projected?: { sources?: ProjectionSource[] };
}

/** The kubelet's token manager refreshes a token at 80% of its lifetime, and once it is 24 h old at the latest. */
const TOKEN_REFRESH_FRACTION = 0.8;
const TOKEN_MAX_AGE_MS = 24 * 3600_000;

/** When a projected token issued at `issuedAt` that expires at `expiresAt` (epoch ms) is replaced. */
export function tokenRefreshAt(issuedAt: number, expiresAt: number): number {
  return issuedAt + Math.min(TOKEN_REFRESH_FRACTION * (expiresAt - issuedAt), TOKEN_MAX_AGE_MS);
}

/** `$(VAR)` expansion in env values, command and args, as the kubelet does ($$ escapes). */
export function expandVars(text: string, env: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name: string | undefined) => (name === undefined ? '$' : env.get(name) ?? all));
}

/** A downward API field of the pod (fieldRef.fieldPath), as the kubelet resolves it. */
export function podField(pod: Pod, fieldPath: string, facts: { podIP?: string; hostIP?: string }): string {
  const meta = pod.metadata;
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) return (labelOrAnnotation[1] === 'labels' ? meta.labels : meta.annotations)?.[labelOrAnnotation[2]!] ?? '';
  const mapText = (m: Record<string, string> | undefined) => Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n');
  const fields: Record<string, () => string> = {
    'metadata.name': () => meta.name,
    'metadata.namespace': () => meta.namespace,
    'metadata.uid': () => meta.uid,
    'metadata.labels': () => mapText(meta.labels),
    'metadata.annotations': () => mapText(meta.annotations),
    'spec.nodeName': () => String(pod.spec.nodeName ?? ''),
    'spec.serviceAccountName': () => String(pod.spec.serviceAccountName ?? ''),
    'status.podIP': () => facts.podIP ?? '',
    'status.podIPs': () => facts.podIP ?? '',
    'status.hostIP': () => facts.hostIP ?? '',
    'status.hostIPs': () => facts.hostIP ?? '',
  };
  const read = fields[fieldPath];
  if (!read) throw new Error(`unsupported fieldPath ${JSON.stringify(fieldPath)}`);
  return read();
}

/** The empty files the agent made for FileOrCreate hostPath volumes, one logical path a line. */
export const HOSTPATH_FILES_MADE = '/var/lib/kubelet/hostpath-files-made';

const decode = (b64: string) => Buffer.from(b64, 'base64');

export class ApiPodResources implements PodResources {
  constructor(
    private readonly host: Host,
    private readonly objects: () => PodObjects | undefined,
    private readonly hostIP: string,
  ) {}

  private api(): PodObjects {
    const objects = this.objects();
    if (!objects) throw new Error('the API server is not reachable yet');
    return objects;
  }

  private volumeDir(pod: Pod, volume: string): string {
    return `/var/lib/kubelet/pods/${pod.metadata.uid}/volumes/${volume}`;
  }

  /**
   * Writes every volume's content (emptyDir directories, configMap/secret/downwardAPI/projected
   * files); returns when the earliest projected token must be replaced.
   */
  async prepare(pod: Pod): Promise<number | undefined> {
    const refresh: { at?: number } = {};
    for (const v of (pod.spec.volumes ?? []) as PodVolume[]) {
      if (v.hostPath) {
        await this.prepareHostPath(v.hostPath);
        continue;
      }
      const files = await this.volumeFiles(pod, v, refresh);
      const dir = this.volumeDir(pod, v.name);
      await this.host.files.mkdir(dir, 0o777);
      for (const [file, { content, mode }] of files) {
        if (file.split('/').some((part) => part === '..' || part === '')) throw new Error(`volume ${v.name}: invalid path ${JSON.stringify(file)}`);
        await this.host.files.writeFile(`${dir}/${file}`, content, { mode: mode ?? 0o644 });
      }
    }
    return refresh.at;
  }

  /**
   * As the kubelet: a missing hostPath of type DirectoryOrCreate or FileOrCreate is made (an
   * empty file for the latter; the runtime would make a directory, and kube-proxy's
   * /run/xtables.lock must be a file).
   */
  private async prepareHostPath(hostPath: { path: string; type?: string }): Promise<void> {
    const { files } = this.host;
    if (hostPath.type === 'DirectoryOrCreate') await files.mkdir(hostPath.path, 0o755);
    else if (hostPath.type === 'FileOrCreate' && !(await files.exists(hostPath.path))) {
      await files.writeFile(hostPath.path, '', { mode: 0o644 });
      // Recorded, so that reset of a relocated root can take back the files it made.
      const made = (await files.tryReadFile(HOSTPATH_FILES_MADE))?.toString('utf8').split('\n').filter(Boolean) ?? [];
      if (!made.includes(hostPath.path)) await files.writeFile(HOSTPATH_FILES_MADE, `${[...made, hostPath.path].join('\n')}\n`);
    }
  }

  private async volumeFiles(pod: Pod, v: PodVolume, refresh: { at?: number }): Promise<Map<string, { content: Buffer; mode?: number }>> {
    const files = new Map<string, { content: Buffer; mode?: number }>();
    const ns = pod.metadata.namespace;
    const addKeys = (data: Record<string, Buffer>, items: KeyToPath[] | undefined, what: string) => {
      const chosen: KeyToPath[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of chosen) {
        const content = data[item.key];
        if (content === undefined) throw new Error(`${what} has no key ${JSON.stringify(item.key)}`);
        files.set(item.path, { content, mode: item.mode });
      }
    };
    const configMapData = async (name: string, optional?: boolean) => {
      const cm = await this.api().configMap(ns, name);
      if (!cm && !optional) throw new Error(`configmap "${name}" not found`);
      return Object.fromEntries([...Object.entries(cm?.data ?? {}).map(([k, s]) => [k, Buffer.from(s)] as const), ...Object.entries(cm?.binaryData ?? {}).map(([k, s]) => [k, decode(s)] as const)]);
    };
    const secretData = async (name: string, optional?: boolean) => {
      const secret = await this.api().secret(ns, name);
      if (!secret && !optional) throw new Error(`secret "${name}" not found`);
      return Object.fromEntries(Object.entries(secret?.data ?? {}).map(([k, s]) => [k, decode(s)] as const));
    };
    const downward = (items: DownwardItem[] | undefined) => {
      for (const item of items ?? []) if (item.fieldRef) files.set(item.path, { content: Buffer.from(podField(pod, item.fieldRef.fieldPath, { hostIP: this.hostIP })) });
    };
    if (v.configMap) addKeys(await configMapData(v.configMap.name, v.configMap.optional), v.configMap.items, `configmap "${v.configMap.name}"`);
    if (v.secret) addKeys(await secretData(v.secret.secretName, v.secret.optional), v.secret.items, `secret "${v.secret.secretName}"`);
    if (v.downwardAPI) downward(v.downwardAPI.items);
    for (const source of v.projected?.sources ?? []) {
      if (source.serviceAccountToken) {
        const seconds = source.serviceAccountToken.expirationSeconds ?? 3607;
        const issuedAt = this.host.clock.now().getTime();
        const { token, expirationTimestamp } = await this.api().serviceAccountToken(pod, source.serviceAccountToken.audience, seconds);
        const expiresAt = (expirationTimestamp && Date.parse(expirationTimestamp)) || issuedAt + seconds * 1000;
        refresh.at = Math.min(refresh.at ?? Infinity, tokenRefreshAt(issuedAt, expiresAt));
        files.set(source.serviceAccountToken.path, { content: Buffer.from(token), mode: 0o644 });
      }
      if (source.configMap) addKeys(await configMapData(source.configMap.name, source.configMap.optional), source.configMap.items, `configmap "${source.configMap.name}"`);
      if (source.secret) addKeys(await secretData(source.secret.name, source.secret.optional), source.secret.items, `secret "${source.secret.name}"`);
      if (source.downwardAPI) downward(source.downwardAPI.items);
    }
    return files;
  }

  async resolve(pod: Pod, container: Container, facts: { podIP?: string }): Promise<ResolvedContainer> {
    const env = new Map<string, string>();
    const ns = pod.metadata.namespace;
    for (const from of ((container as { envFrom?: EnvFrom[] }).envFrom ?? [])) {
      const data = from.configMapRef
        ? (await this.api().configMap(ns, from.configMapRef.name))?.data
        : from.secretRef
          ? Object.fromEntries(Object.entries((await this.api().secret(ns, from.secretRef.name))?.data ?? {}).map(([k, s]) => [k, decode(s).toString('utf8')]))
          : undefined;
      const ref = from.configMapRef ?? from.secretRef;
      if (data === undefined && ref && !ref.optional) throw new Error(`${from.configMapRef ? 'configmap' : 'secret'} "${ref.name}" not found`);
      for (const [k, val] of Object.entries(data ?? {})) env.set(`${from.prefix ?? ''}${k}`, val);
    }
    for (const e of (container.env ?? []) as EnvVar[]) env.set(e.name, await this.envValue(pod, e, env, facts));
    const mounts: CriMount[] = [];
    for (const m of container.volumeMounts ?? []) {
      const volume = (pod.spec.volumes ?? []).find((v) => v.name === m.name) as PodVolume | undefined;
      if (!volume) throw new Error(`volume "${m.name}" is not defined`);
      const base = volume.hostPath ? underRoot(this.host.files.root, volume.hostPath.path) : this.host.files.resolve(this.volumeDir(pod, volume.name));
      mounts.push({ containerPath: m.mountPath, hostPath: m.subPath ? path.join(base, m.subPath) : base, readonly: m.readOnly === true || Boolean(volume.secret || volume.configMap || volume.projected || volume.downwardAPI) });
    }
    const expand = (list: string[] | undefined) => (list ?? []).map((a) => expandVars(a, env));
    return { env: [...env].map(([key, value]) => ({ key, value })), mounts, command: expand(container.command), args: expand(container.args) };
  }

  private async envValue(pod: Pod, e: EnvVar, env: Map<string, string>, facts: { podIP?: string }): Promise<string> {
    if (e.value !== undefined) return expandVars(e.value, env);
    const from = e.valueFrom;
    if (!from) return '';
    if (from.fieldRef) return podField(pod, from.fieldRef.fieldPath, { ...facts, hostIP: this.hostIP });
    const ns = pod.metadata.namespace;
    if (from.configMapKeyRef) {
      const { name, key, optional } = from.configMapKeyRef;
      const value = (await this.api().configMap(ns, name))?.data?.[key];
      if (value === undefined && !optional) throw new Error(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
      return value ?? '';
    }
    if (from.secretKeyRef) {
      const { name, key, optional } = from.secretKeyRef;
      const value = (await this.api().secret(ns, name))?.data?.[key];
      if (value === undefined && !optional) throw new Error(`couldn't find key ${key} in Secret ${ns}/${name}`);
      return value === undefined ? '' : decode(value).toString('utf8');
    }
    return '';
  }

  async cleanup(pod: Pod): Promise<void> {
    await this.host.files.remove(`/var/lib/kubelet/pods/${pod.metadata.uid}`);
  }

  async pullAuth(pod: Pod, image: string): Promise<Record<string, string> | undefined> {
    const registry = /^([^/]+\.[^/]+|[^/]+:\d+|localhost)\//.exec(image)?.[1] ?? 'docker.io';
    for (const ref of ((pod.spec.imagePullSecrets ?? []) as { name: string }[])) {
      const secret = await this.api().secret(pod.metadata.namespace, ref.name).catch(() => undefined);
      const raw = secret?.data?.['.dockerconfigjson'];
      if (!raw) continue;
      const auths = (JSON.parse(decode(raw).toString('utf8')) as { auths?: Record<string, { username?: string; password?: string; auth?: string }> }).auths ?? {};
      const hit = Object.entries(auths).find(([server]) => server.replace(/^https?:\/\//, '').replace(/\/.*$/, '') === registry || (registry === 'docker.io' && server.includes('index.docker.io')));
      if (hit) return { username: hit[1].username ?? '', password: hit[1].password ?? '', auth: hit[1].auth ?? '', serverAddress: hit[0] };
    }
    return undefined;
  }
}
