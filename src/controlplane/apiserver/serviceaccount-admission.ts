/**
 * The ServiceAccount admission plugin's mutation (plugin/pkg/admission/serviceaccount): a new
 * pod runs as `default` unless it names its service account, and, unless automounting is off,
 * gets the projected kube-api-access-<suffix> volume (a bound token, kube-root-ca.crt's ca.crt,
 * the namespace) mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every
 * container. Mirror pods are left alone, as upstream. Pure: mutates the pod it is given.
 */
type Obj = Record<string, unknown>;

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function tokenVolume(name: string): Obj {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

export function admitPodServiceAccount(pod: { metadata?: { annotations?: Record<string, string> }; spec?: Obj }, random: () => number = Math.random): void {
  const spec = pod.spec;
  if (!spec || pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return;
  spec.serviceAccountName = spec.serviceAccountName || spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.automountServiceAccountToken === false) return;
  const containers = [...((spec.initContainers as Obj[] | undefined) ?? []), ...((spec.containers as Obj[] | undefined) ?? [])];
  const mounted = (c: Obj) => ((c.volumeMounts as Obj[] | undefined) ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT);
  if (containers.every(mounted)) return;
  const suffix = Array.from({ length: 5 }, () => SUFFIX_CHARS[Math.floor(random() * SUFFIX_CHARS.length)]).join('');
  const name = `kube-api-access-${suffix}`;
  spec.volumes = [...((spec.volumes as Obj[] | undefined) ?? []), tokenVolume(name)];
  for (const c of containers) if (!mounted(c)) c.volumeMounts = [...((c.volumeMounts as Obj[] | undefined) ?? []), { name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT }];
}
