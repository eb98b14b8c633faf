/**
 * The one YAML decoder for text kubeforge did not write itself: API request bodies, config files,
 * kubeconfigs, static-pod manifests, ConfigMap payloads. Every `js-yaml` load in src goes through
 * here, so the limits below hold everywhere.
 *
 * - Aliases: js-yaml resolves `*alias` to the anchored object itself (a shared reference), so the
 *   parse stays linear, but anything that later walks the tree (validation, JSON encoding, cloning)
 *   expands every reference — a "billion laughs" document of a few hundred bytes expands to 10^9
 *   nodes. After parsing, the expanded node count is computed with a walk memoised per object
 *   (O(distinct nodes)), and the document is refused as go-yaml refuses it (the decoder behind
 *   upstream's sigs.k8s.io/yaml): "document contains excessive aliasing" when more than 100 nodes
 *   come from aliases and their share exceeds 99 % (small documents) down to 10 % (4M nodes and
 *   more). Callers may set a hard cap on expanded nodes as well. Recursive aliases are refused.
 * - Depth: js-yaml's own `maxDepth`.
 * - Schema: YAML 1.2 core (plus merge keys `<<`): every scalar is a string, number, boolean or
 *   null, as after upstream's YAML→JSON step; no timestamps or binary.
 * - Keys: js-yaml stores a `__proto__` key as an own property (never through the setter).
 */
import yaml from 'js-yaml';

// js-yaml exports its built-in types at runtime; @types/js-yaml does not declare them.
const { merge } = (yaml as unknown as { types: { merge: yaml.Type } }).types;
const SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [merge] });
/** js-yaml ≥ 4.2 caps nesting with `maxDepth`; the typings predate it. */
type LoadOptions = yaml.LoadOptions & { maxDepth?: number };

export interface SafeYamlOptions {
  /** Named in syntax errors. */
  filename?: string;
  /** Deepest nesting accepted (js-yaml's default: 100). */
  maxDepth?: number;
  /** A hard cap on the nodes of a document once every alias is expanded (none by default). */
  maxExpandedNodes?: number;
}

/** A document refused for its aliases (not for its syntax, which is a js-yaml YAMLException). */
export class YamlAliasError extends Error {}

/** go-yaml's alias_ratio_range_low/high: documents up to 400k nodes may be 99 % aliases, from 4M on 10 %. */
const RATIO_LOW = 400_000;
const RATIO_HIGH = 4_000_000;
const EXCESSIVE = 'document contains excessive aliasing';

/** go-yaml's allowedAliasRatio. */
export function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= RATIO_LOW) return 0.99;
  if (decodeCount >= RATIO_HIGH) return 0.1;
  return 0.99 - (0.89 * (decodeCount - RATIO_LOW)) / (RATIO_HIGH - RATIO_LOW);
}

/** Every non-empty document of a multi-document text; throws YAMLException or YamlAliasError. */
export function loadYamlDocuments(text: string, options: SafeYamlOptions = {}): unknown[] {
  const loadOptions: LoadOptions = { schema: SCHEMA, ...(options.filename ? { filename: options.filename } : {}), ...(options.maxDepth ? { maxDepth: options.maxDepth } : {}) };
  const documents = yaml.loadAll(text, null, loadOptions).filter((doc) => doc !== null && doc !== undefined);
  documents.forEach((doc, index) => {
    try {
      checkAliasing(doc, options.maxExpandedNodes ?? Infinity);
    } catch (err) {
      if (err instanceof YamlAliasError && documents.length > 1) throw new YamlAliasError(`document ${index + 1}: ${err.message}`);
      throw err;
    }
  });
  return documents;
}

/** The single document of `text` (undefined when empty); throws as loadYamlDocuments. */
export function loadYaml(text: string, options: SafeYamlOptions = {}): unknown {
  const documents = loadYamlDocuments(text, options);
  if (documents.length > 1) throw new yaml.YAMLException('expected a single document in the stream, but found more');
  return documents[0];
}

/** Throws YamlAliasError when `doc` expands (aliases copied out) past what go-yaml or `maxExpanded` allows. */
export function checkAliasing(doc: unknown, maxExpanded: number): void {
  const distinct = distinctNodes(doc);
  // Past this size the ratio rule fails whatever the rest holds: stop expanding there.
  const ratioCap = Math.max(RATIO_HIGH, Math.ceil(distinct / (1 - allowedAliasRatio(RATIO_HIGH))) + 1);
  const cap = Math.min(maxExpanded, ratioCap);
  const expanded = expandedSize(doc, new WeakMap(), new Set(), cap);
  if (expanded > maxExpanded) throw new YamlAliasError(`aliases expand to more than ${maxExpanded} nodes (at least ${expanded}); refusing to expand it`);
  const fromAliases = expanded - distinct;
  if (expanded > ratioCap || (fromAliases > 100 && expanded > 1000 && fromAliases / expanded > allowedAliasRatio(expanded))) throw new YamlAliasError(EXCESSIVE);
}

/** Nodes of the parsed tree, each shared (aliased) object counted once. */
function distinctNodes(root: unknown): number {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  let count = 0;
  while (stack.length > 0) {
    const value = stack.pop();
    count++;
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push(child);
  }
  return count;
}

/**
 * Nodes the value would have if every alias were copied out, up to `cap` (a value above it means
 * "more"). Each distinct object is measured once (memoised), so this is linear in the parsed size
 * even when the expansion is exponential.
 */
function expandedSize(value: unknown, sizes: WeakMap<object, number>, inProgress: Set<object>, cap: number): number {
  if (value === null || typeof value !== 'object') return 1;
  const known = sizes.get(value);
  if (known !== undefined) return known;
  if (inProgress.has(value)) throw new YamlAliasError('an alias refers to a node that contains it (a recursive structure)');
  inProgress.add(value);
  let size = 1;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    size += expandedSize(child, sizes, inProgress, cap);
    if (size > cap) break;
  }
  inProgress.delete(value);
  sizes.set(value, size);
  return size;
}

/** js-yaml's syntax error (with `mark` and `reason`). */
export const YAMLException = yaml.YAMLException;
export type YAMLException = yaml.YAMLException;
