/**
 * The bundled kube-scheduler: `runScheduler(argv)` takes upstream's flags (kubeadm's
 * manifest), serves /healthz /livez /readyz /metrics on --bind-address:--secure-port (10259),
 * campaigns for kube-system/kube-scheduler and, while leading, binds pending pods.
 * - schedule.ts   the pure decision: filters, scoring, upstream's messages
 * - quantity.ts   resource quantities
 * - scheduler.ts  the loop: binding, assumed pods, the Unschedulable condition
 */
import { COMMON_FLAGS, runComponent, type ComponentDeps, type Running } from '../common/run-component.js';
import { acceptedFlag, flag, type FlagSpec } from '../common/flags.js';
import { runSchedulingLoop } from './scheduler.js';

export type { Running } from '../common/run-component.js';
export { schedule } from './schedule.js';

export const SCHEDULER_FLAGS: readonly FlagSpec[] = [
  ...COMMON_FLAGS,
  flag('secure-port', 'int', '10259'),
  acceptedFlag('config'),
  acceptedFlag('port', 'int'),
  acceptedFlag('policy-config-file'),
  acceptedFlag('pod-max-in-unschedulable-pods-duration', 'duration'),
];

/** Starts the scheduler; resolves once it serves health (it leads in the background). */
export function runScheduler(argv: string[], deps: ComponentDeps = {}): Promise<Running> {
  return runComponent({ name: 'kube-scheduler', flags: SCHEDULER_FLAGS, prepare: async () => runSchedulingLoop }, argv, deps);
}
