/**
 * upstream's DefaultTolerationSeconds admission (plugin/pkg/admission/defaulttolerationseconds):
 * a new pod that does not tolerate the node lifecycle's NoExecute taints
 * (`node.kubernetes.io/not-ready`, `node.kubernetes.io/unreachable`) gets tolerations for them
 * with tolerationSeconds 300, so its pods leave a lost node after five minutes. A pod that has
 * its own toleration for a taint (any effect-matching one, e.g. a short tolerationSeconds)
 * keeps it. Pure: runs with the pod defaults on create.
 */
export const DEFAULT_TOLERATION_SECONDS = 300;
const TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** Whether a toleration already speaks for the NoExecute taint `key` (upstream's check). */
const covers = (t: Toleration, key: string) => (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute') && (t.key === key || t.key === undefined || t.key === '');

export function addDefaultTolerations(pod: { spec?: { tolerations?: Toleration[] } }): void {
  const spec = (pod.spec ??= {});
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const added = TAINTS.filter((key) => !tolerations.some((t) => covers(t, key))).map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS }));
  if (added.length) spec.tolerations = [...tolerations, ...added];
}
