/**
 * Per-kind behaviour on create and update, as a table: defaults (Secret type, Namespace
 * phase and finalizer), stringData folding, CSR requester identity, generation bumps.
 */
import { child, defaultDaemonSet, defaultDeployment, defaultReplicaSet, defaultStatefulSet } from './apps-defaults.js';
import { createJob, defaultCronJob } from './batch.js';
import { createCrd, updateCrd } from './crd.js';
import { moreKind } from './more-kinds.js';
import type { UserInfo } from './authn.js';
import { addDefaultTolerations } from './default-toleration-seconds.js';
import { createPodDisruptionBudget } from './eviction.js';
import { admitPodServiceAccount } from './serviceaccount-admission.js';
import { apiErrors } from './status.js';
import type { KubeObject } from './storage.js';
import { setOwn } from '../../safe-keys.js';

interface KindHooks {
  /** Fills defaults on a new object. */
  create?: (object: KubeObject, user: UserInfo) => void;
  /** Fills defaults on every write (create and update). */
  write?: (object: KubeObject) => void;
  /** Carries over what the server assigned and the client did not send (update only). */
  update?: (object: KubeObject, previous: KubeObject) => void;
  /** Kinds whose metadata.generation tracks spec changes. */
  generation?: boolean;
}

type Obj = Record<string, unknown>;
const sub = (object: KubeObject, field: string) => child(object, field);

const HOOKS: Record<string, KindHooks> = {
  Namespace: {
    create: (ns) => {
      sub(ns, 'spec').finalizers ??= ['kubernetes'];
      sub(ns, 'status').phase = 'Active';
    },
    write: (ns) => {
      const name = ns.metadata?.name ?? '';
      ns.metadata = { ...ns.metadata, labels: { ...(ns.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': name } };
    },
  },
  Secret: {
    write: (secret) => {
      secret.type ??= 'Opaque';
      const stringData = secret.stringData as Record<string, string> | undefined;
      if (stringData) {
        const data = sub(secret, 'data');
        for (const [k, v] of Object.entries(stringData)) setOwn(data, k, Buffer.from(String(v)).toString('base64'));
        delete secret.stringData;
      }
    },
  },
  Service: {
    write: (svc) => {
      const spec = sub(svc, 'spec');
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
      for (const port of (Array.isArray(spec.ports) ? spec.ports : []) as Obj[]) {
        port.protocol ??= 'TCP';
        port.targetPort ??= port.port;
      }
    },
    update: (svc, previous) => {
      const spec = sub(svc, 'spec');
      const before = (previous.spec ?? {}) as Obj;
      if (before.clusterIP === undefined) return;
      if (spec.clusterIP === undefined || spec.clusterIP === '') {
        for (const field of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) if (before[field] !== undefined) spec[field] ??= before[field];
      } else if (spec.clusterIP !== before.clusterIP) {
        throw apiErrors.invalid('Service', '', svc.metadata?.name ?? '', [{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: []string{"${String(spec.clusterIP)}"}: may not change once set` }]);
      }
      const previousPorts = (Array.isArray(before.ports) ? before.ports : []) as Obj[];
      for (const port of (Array.isArray(spec.ports) ? spec.ports : []) as Obj[]) {
        const match = previousPorts.find((p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
        if (port.nodePort === undefined && match?.nodePort !== undefined) port.nodePort = match.nodePort;
      }
    },
  },
  Pod: {
    create: (pod) => {
      sub(pod, 'status').phase ??= 'Pending';
      const spec = sub(pod, 'spec');
      spec.restartPolicy ??= 'Always';
      spec.schedulerName ??= 'default-scheduler';
      admitPodServiceAccount(pod as Parameters<typeof admitPodServiceAccount>[0]);
      addDefaultTolerations(pod as Parameters<typeof addDefaultTolerations>[0]);
    },
  },
  CertificateSigningRequest: {
    create: (csr, user) => {
      const spec = sub(csr, 'spec');
      spec.username = user.name;
      spec.groups = [...user.groups];
      if (user.uid) spec.uid = user.uid;
      else delete spec.uid;
      csr.status = {};
    },
  },
  Job: { create: createJob, generation: true },
  PodDisruptionBudget: { create: createPodDisruptionBudget, generation: true },
  CustomResourceDefinition: { create: createCrd, update: updateCrd, generation: true },
  CronJob: { write: defaultCronJob, generation: true },
  Deployment: { write: defaultDeployment, generation: true },
  ReplicaSet: { write: defaultReplicaSet, generation: true },
  DaemonSet: { write: defaultDaemonSet, generation: true },
  StatefulSet: { write: defaultStatefulSet, generation: true },
};

const hooksOf = (kind: string): KindHooks | undefined => HOOKS[kind] ?? moreKind(kind);

export function applyCreateDefaults(object: KubeObject, user: UserInfo): void {
  const hooks = hooksOf(String(object.kind));
  hooks?.create?.(object, user);
  hooks?.write?.(object);
  if (hooks?.generation) object.metadata = { ...object.metadata, generation: 1 };
}

export function applyUpdateDefaults(object: KubeObject, previous: KubeObject): void {
  const hooks = hooksOf(String(object.kind));
  hooks?.update?.(object, previous);
  hooks?.write?.(object);
  if (hooks?.generation) {
    const before = Number(previous.metadata?.generation ?? 1);
    const changed = JSON.stringify(object.spec) !== JSON.stringify(previous.spec);
    object.metadata = { ...object.metadata, generation: changed ? before + 1 : before };
  }
}
