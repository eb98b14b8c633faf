/**
 * Compacts etcd's history every --etcd-compaction-interval, as upstream's compactor
 * (k8s.io/apiserver/pkg/storage/etcd3/compact.go): without it deleted objects stay readable at
 * their old resourceVersion forever and etcd grows without bound.
 *
 * Several API servers share one etcd and must not all compact: the key `compact_rev_key` holds the
 * last revision seen, and its etcd *version* (how often it was written) is a logical clock. A
 * round compare-and-swaps the clock it knows for clock + 1; the server that wins compacts to the
 * revision it saw one interval earlier (so an interval of history stays readable), the others
 * learn the clock and try again next interval. If the winner dies, another takes over one or two
 * intervals later.
 */
import type { Etcd3 } from 'etcd3';

export const COMPACT_REV_KEY = 'compact_rev_key';

export interface CompactorState {
  /** The version of compact_rev_key this server last saw (the logical clock). */
  compactTime: number;
  /** The etcd revision at this server's last round: what the next winning round compacts to. */
  revision: number;
}

/** One round of upstream's compact(): returns the state for the next round. */
export async function compactRound(client: Etcd3, state: CompactorState): Promise<CompactorState> {
  const key = Buffer.from(COMPACT_REV_KEY);
  const res = await client.kv.txn({
    compare: [{ key, target: 'Version', result: 'Equal', version: state.compactTime }],
    success: [{ request_put: { key, value: Buffer.from(String(state.revision)) } }],
    failure: [{ request_range: { key } }],
  });
  const current = Number(res.header.revision);
  if (!res.succeeded) return { compactTime: Number(res.responses[0]?.response_range.kvs[0]?.version ?? 0), revision: current };
  // The first winning round (revision 0, at start-up) only records where history starts.
  if (state.revision > 0) await client.kv.compact({ revision: state.revision });
  return { compactTime: state.compactTime + 1, revision: current };
}

/** Runs compactRound every `intervalMs` until stopped; failures are logged and retried next interval. */
export function startCompactor(client: Etcd3, intervalMs: number, onError: (err: unknown) => void): { stop(): void } {
  let state: CompactorState = { compactTime: 0, revision: 0 };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(() => {
      void compactRound(client, state)
        .then((next) => (state = next), onError)
        .finally(() => {
          if (!stopped) schedule();
        });
    }, intervalMs);
    timer.unref();
  };
  if (intervalMs > 0) schedule();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
