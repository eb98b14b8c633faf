/**
 * Making the agent restart static pods after a renewal: the agent replaces a pod when its
 * manifest's pod object changes (the static pod uid hashes it), and rewriting identical bytes
 * changes nothing. So the renewal stamps `kubeforge.io/certs-renewed-at` on the pod's metadata —
 * a real, visible change saying why the pod restarted — and the agent does the rest.
 */
import { loadYaml } from '../safe-yaml.js';
import { isRunning, readAgentPid } from '../agent/index.js';
import type { Host } from '../host/index.js';
import { MANIFESTS_DIR } from '../host/index.js';
import type { StaticPodName } from '../kubeconfig/index.js';
import { toYaml } from '../manifests/index.js';

export const CERTS_RENEWED_AT_ANNOTATION = 'kubeforge.io/certs-renewed-at';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The manifest text with the annotation set (added or refreshed); everything else re-serialised unchanged. */
export function stampCertsRenewedAt(manifest: string, at: Date): string {
  const pod = loadYaml(manifest);
  if (!isObj(pod) || !isObj(pod.metadata)) throw new Error('not a Pod manifest');
  const annotations = isObj(pod.metadata.annotations) ? pod.metadata.annotations : {};
  pod.metadata.annotations = { ...annotations, [CERTS_RENEWED_AT_ANNOTATION]: at.toISOString() };
  return toYaml(pod);
}

export interface PodRestart {
  pods: StaticPodName[];
  /** Whether a running agent will pick the change up now (else: when it next starts). */
  agentRunning: boolean;
}

/** Stamps the manifests of `pods` that exist on this node; returns those it stamped. */
export async function restartStaticPods(host: Host, pods: StaticPodName[], at: Date): Promise<PodRestart> {
  const found = await Promise.all(
    pods.map(async (pod) => {
      const file = `${MANIFESTS_DIR}/${pod}.yaml`;
      const text = await host.files.tryReadFile(file);
      if (text === undefined) return undefined;
      await host.files.writeFile(file, stampCertsRenewedAt(text.toString(), at), { mode: 0o600 });
      return pod;
    }),
  );
  const stamped = found.filter((pod): pod is StaticPodName => pod !== undefined);
  const agent = await readAgentPid(host);
  return { pods: stamped, agentRunning: agent !== undefined && (await isRunning(host.system, agent)) };
}
