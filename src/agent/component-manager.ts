/**
 * k0s-style components: every long-running part of the agent has init, start, ready and stop.
 * The manager initialises all, starts them in order, each behind the previous one's readiness,
 * and stops them in reverse. Node registration, the Lease heartbeat, mirror pods and the
 * kubelet API server join the agent as further components.
 */
export type StopMode = 'terminate' | 'detach';

export interface Component {
  readonly name: string;
  init(): Promise<void>;
  start(): Promise<void>;
  /** Resolves once the component does its job (e.g. the first manifest scan was applied). */
  ready(): Promise<void>;
  /** `detach` leaves the pods running for the next agent to adopt. */
  stop(mode: StopMode): Promise<void>;
}

export class ComponentManager {
  private readonly started: Component[] = [];

  constructor(private readonly components: Component[]) {}

  async start(): Promise<void> {
    for (const c of this.components) await c.init();
    for (const c of this.components) {
      await c.start();
      this.started.push(c);
      await c.ready();
    }
  }

  /** Stops the started components in reverse order; every one is stopped even if another fails. */
  async stop(mode: StopMode): Promise<void> {
    const errors: unknown[] = [];
    for (const c of [...this.started].reverse()) {
      try {
        await c.stop(mode);
      } catch (err) {
        errors.push(err);
      }
    }
    this.started.length = 0;
    if (errors.length > 0) throw errors[0];
  }
}
