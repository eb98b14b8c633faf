/**
 * Best-effort core/v1 Events, so `kubectl describe` and `kubectl get events` show what a
 * component did (upstream's event recorder, without aggregation). A failed write is logged at
 * -v=4 and never fails the caller.
 */
import type { KubeObject } from '../../kube/index.js';
import type { ControllerContext } from './controller.js';
import { ref } from './resources.js';

export type EventType = 'Normal' | 'Warning';

/** The Event object for `reason`/`message` about `object`, from `component`. */
function eventFor(object: KubeObject, type: EventType, reason: string, message: string, component: string, now: Date): KubeObject {
  const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const namespace = object.metadata.namespace ?? 'default';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${object.metadata.name}.`, namespace },
    involvedObject: { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace, uid: object.metadata.uid, resourceVersion: object.metadata.resourceVersion },
    type,
    reason,
    message,
    source: { component },
    reportingComponent: component,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

export async function recordEvent(ctx: ControllerContext, object: KubeObject, type: EventType, reason: string, message: string, component: string): Promise<void> {
  const event = eventFor(object, type, reason, message, component, ctx.now());
  try {
    await ctx.client.create({ ...ref('events'), namespace: event.metadata.namespace }, event);
  } catch (err) {
    ctx.log.debug(4, `[${component}] could not record event ${reason} for ${object.metadata.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
