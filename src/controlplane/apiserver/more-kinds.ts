/** The kinds whose strategies live in kind modules (kind-spec.ts), by kind. */
import { HPA_KIND } from './hpa.js';
import type { KindSpec } from './kind-spec.js';
import { NETWORK_KINDS } from './network-kinds.js';
import { POLICY_KINDS } from './policy-kinds.js';
import { STORAGE_KINDS } from './storage-kinds.js';

let kinds: Readonly<Record<string, KindSpec>> | undefined;

/** Built on first use: the kind modules and their users import each other. */
export function moreKind(kind: string): KindSpec | undefined {
  kinds ??= { ...STORAGE_KINDS, ...NETWORK_KINDS, ...POLICY_KINDS, ...HPA_KIND };
  return kinds[kind];
}
