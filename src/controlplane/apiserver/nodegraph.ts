/**
 * The graph half of upstream's Node authorizer: a node may `get` a Secret, ConfigMap,
 * PersistentVolumeClaim or ServiceAccount, and create a token for that ServiceAccount, only
 * when a pod bound to it (spec.nodeName) references the object. Built from a mirror of the
 * pods (PrefixCache) and rebuilt lazily when the pods change.
 */
import type { PrefixCache } from './cache.js';
import type { KubeObject } from './storage.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

export type GraphResource = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts';

/** Every `<resource>/<name>` a pod references (in its own namespace). */
export function podReferences(pod: KubeObject): string[] {
  const spec = obj(pod.spec);
  const refs = new Set<string>([`serviceaccounts/${String(spec.serviceAccountName || spec.serviceAccount || 'default')}`]);
  const add = (resource: GraphResource, name: unknown) => {
    if (typeof name === 'string' && name) refs.add(`${resource}/${name}`);
  };
  for (const secret of list(spec.imagePullSecrets)) add('secrets', secret.name);
  for (const volume of list(spec.volumes)) {
    add('secrets', obj(volume.secret).secretName);
    add('configmaps', obj(volume.configMap).name);
    add('persistentvolumeclaims', obj(volume.persistentVolumeClaim).claimName);
    for (const source of list(obj(volume.projected).sources)) {
      add('secrets', obj(source.secret).name);
      add('configmaps', obj(source.configMap).name);
    }
    for (const key of ['azureFile', 'cephfs', 'cinder', 'flexVolume', 'iscsi', 'rbd', 'scaleIO', 'storageos', 'csi']) {
      const source = obj(volume[key]);
      add('secrets', source.secretName ?? obj(source.secretRef).name ?? obj(source.nodePublishSecretRef).name);
    }
  }
  for (const container of [...list(spec.initContainers), ...list(spec.containers), ...list(spec.ephemeralContainers)]) {
    for (const from of list(container.envFrom)) {
      add('secrets', obj(from.secretRef).name);
      add('configmaps', obj(from.configMapRef).name);
    }
    for (const env of list(container.env)) {
      add('secrets', obj(obj(env.valueFrom).secretKeyRef).name);
      add('configmaps', obj(obj(env.valueFrom).configMapKeyRef).name);
    }
  }
  return [...refs];
}

export class NodeGraph {
  private index = new Map<string, Set<string>>();
  private builtAt = -1;

  constructor(private readonly pods: PrefixCache) {}

  /** node → `<namespace>/<resource>/<name>` of everything its pods reference. */
  private current(): Map<string, Set<string>> {
    if (this.builtAt === this.pods.generation) return this.index;
    const index = new Map<string, Set<string>>();
    for (const pod of this.pods.values()) {
      const node = obj(pod.spec).nodeName;
      if (typeof node !== 'string' || !node) continue;
      const related = index.get(node) ?? new Set<string>();
      for (const ref of podReferences(pod)) related.add(`${pod.metadata?.namespace ?? ''}/${ref}`);
      index.set(node, related);
    }
    this.index = index;
    this.builtAt = this.pods.generation;
    return index;
  }

  /** Whether a pod bound to `node` references `<resource>/<name>` in `namespace`. */
  related(node: string, resource: string, namespace: string | undefined, name: string | undefined): boolean {
    if (!namespace || !name) return false;
    return this.current().get(node)?.has(`${namespace}/${resource}/${name}`) ?? false;
  }
}
