/**
 * kubeadm's wait-control-plane: poll every static pod's own readiness probe (from its rendered
 * manifest, so health URLs have one source) until all answer, reporting each as it becomes
 * healthy. On timeout the error names every component that is not, with its last probe error
 * and the tail of its log.
 */
import http from 'node:http';
import https from 'node:https';
import { KubeforgeError } from '../errors.js';
import { POD_LOGS_DIR } from '../host/index.js';
import { formatDuration } from '../log.js';
import { renderStaticPods, type StaticPodManifest } from '../manifests/index.js';
import type { InitContext } from './init.js';

const POLL_MS = 300;
const LOG_TAIL_LINES = 15;

/** The URL its kubelet would probe for readiness (startup/liveness when it has no readiness probe). */
export function healthURL(manifest: StaticPodManifest): string {
  const container = manifest.pod.spec.containers[0]!;
  const probe = container.readinessProbe ?? container.startupProbe ?? container.livenessProbe;
  const { scheme, host, port, path } = probe.httpGet;
  return `${scheme.toLowerCase()}://${host ?? '127.0.0.1'}:${port}${path}`;
}

/** One GET without verifying the serving certificate (as the kubelet probes); ok on 2xx. */
export function probeOnce(url: string, timeoutMs = 2000): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body = (body + chunk.toString()).slice(-300)));
      res.on('end', () => {
        const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
        resolve({ ok, detail: `HTTP ${res.statusCode}${ok ? '' : `: ${body.trim().split('\n').slice(-3).join(' ')}`}` });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, detail: err.message }));
  });
}

/** The last lines the agent logged for a static pod's container, or a note that there are none. */
async function logTail(ctx: InitContext, manifest: StaticPodManifest): Promise<string> {
  const podDir = (await ctx.host.files.list(POD_LOGS_DIR)).find((d) => d.startsWith(`kube-system_${manifest.component}-${ctx.cfg.init.nodeRegistration.name}_`));
  const log = podDir && (await ctx.host.files.tryReadFile(`${POD_LOGS_DIR}/${podDir}/${manifest.component}/0.log`));
  if (!log) return '(no log yet: the agent has not started it)';
  return log.toString('utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n\t\t');
}

export async function waitForControlPlane(ctx: InitContext, timeoutMs: number): Promise<void> {
  const manifests = renderStaticPods(ctx.cfg);
  ctx.log.info(`[wait-control-plane] Waiting for the agent to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"`);
  ctx.log.info(`[control-plane-check] Waiting for healthy control plane components. This can take up to ${formatDuration(timeoutMs)}`);
  const started = performance.now();
  const pending = new Map(manifests.map((m) => [m.component, { manifest: m, url: healthURL(m), detail: 'not probed yet' }]));
  for (const { manifest, url } of pending.values()) ctx.log.info(`[control-plane-check] Checking ${manifest.component} at ${url}`);
  while (pending.size > 0) {
    await Promise.all(
      [...pending.values()].map(async (entry) => {
        const result = await probeOnce(entry.url);
        entry.detail = result.detail;
        if (!result.ok) return;
        pending.delete(entry.manifest.component);
        ctx.log.info(`[control-plane-check] ${entry.manifest.component} is healthy after ${formatDuration(performance.now() - started)}`);
      }),
    );
    if (pending.size === 0) return;
    if (performance.now() - started > timeoutMs) {
      const details = await Promise.all(
        [...pending.values()].map(async (e) => `${e.manifest.component} is not healthy (${e.url}: ${e.detail}); its log ends:\n\t\t${await logTail(ctx, e.manifest)}`),
      );
      throw new KubeforgeError('KF_CONTROL_PLANE_TIMEOUT', `the control plane did not become healthy within ${formatDuration(timeoutMs)}`, {
        details,
        hint: `see the agent's log in ${ctx.host.files.resolve('/var/log/kubeforge/agent.log')} and the pods' logs under ${ctx.host.files.resolve(POD_LOGS_DIR)}; fix the cause, then run init again`,
      });
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
