/**
 * Controller expectations (upstream's ControllerExpectations): after a sync creates or deletes
 * pods, the controller waits until its informer has seen them before acting on that owner
 * again, so a stale cache never makes it create or delete twice. Expectations lapse after
 * five minutes, in case an event was lost.
 */
const TIMEOUT_MS = 5 * 60_000;

export class Expectations {
  private readonly pending = new Map<string, { adds: number; dels: number; at: number }>();

  expect(key: string, adds: number, dels: number, now: number): void {
    if (adds || dels) this.pending.set(key, { adds, dels, at: now });
  }

  observe(key: string, kind: 'adds' | 'dels'): void {
    const e = this.pending.get(key);
    if (e) e[kind]--;
  }

  forget(key: string): void {
    this.pending.delete(key);
  }

  satisfied(key: string, now: number): boolean {
    const e = this.pending.get(key);
    return !e || (e.adds <= 0 && e.dels <= 0) || now - e.at > TIMEOUT_MS;
  }
}
