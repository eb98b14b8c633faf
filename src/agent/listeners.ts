/**
 * A list of callbacks another component registers (`onChange`, `onConnected`, ...): `add`
 * returns the function that removes it again, so a component that stops takes its listeners
 * with it instead of leaving them, and what they capture, behind.
 */
export type Unsubscribe = () => void;

export class Listeners<Args extends unknown[]> {
  private readonly list = new Set<(...args: Args) => unknown>();

  add(listener: (...args: Args) => unknown): Unsubscribe {
    this.list.add(listener);
    return () => void this.list.delete(listener);
  }

  get size(): number {
    return this.list.size;
  }

  /** Calls each listener in order; a listener added or removed meanwhile does not disturb the round. */
  emit(...args: Args): void {
    for (const listener of [...this.list]) listener(...args);
  }

  /** Calls each listener in order, awaiting each. */
  async emitInOrder(...args: Args): Promise<void> {
    for (const listener of [...this.list]) await listener(...args);
  }
}
