/**
 * Safe multi-document YAML for untrusted config files.
 *
 * - Size: text over MAX_CONFIG_BYTES is rejected before the parser sees it.
 * - Aliases: js-yaml resolves `*alias` to the anchored object itself (a shared reference), so the
 *   parse stays linear, but anything that later walks the tree (decoding, cloning, printing) would
 *   expand every reference — a "billion laughs" file is a few hundred bytes that expands to 10^9
 *   nodes. After parsing we compute the expanded node count with a walk memoised per object, which
 *   costs O(distinct nodes), and reject the file when it exceeds MAX_EXPANDED_NODES. Cycles
 *   (`&a [*a]`) are rejected too.
 * - Schema: YAML 1.2 core plus merge keys (`<<`); no timestamps or binary, so every scalar is a
 *   string, number, boolean or null, as after kubeadm's YAML→JSON step.
 */
import yaml from 'js-yaml';
import { validationError } from '../errors.js';

export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;
export const MAX_EXPANDED_NODES = 1_000_000;
export const MAX_NESTING_DEPTH = 100;

// js-yaml exports its built-in types at runtime; @types/js-yaml does not declare them.
const { merge } = (yaml as unknown as { types: { merge: yaml.Type } }).types;
const SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [merge] });
/** js-yaml ≥ 4.2 caps nesting with `maxDepth`; the typings predate it. */
type LoadOptions = yaml.LoadOptions & { maxDepth?: number };

export function parseYamlDocuments(text: string, source: string): unknown[] {
  // String length counts UTF-16 units, which is ≤ the UTF-8 byte count, so the cheap check first.
  if (text.length > MAX_CONFIG_BYTES || Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    throw validationError('KF_CONFIG_TOO_LARGE', `${source}: the configuration is larger than the limit of ${MAX_CONFIG_BYTES} bytes (2 MiB)`, {
      hint: 'A kubeadm configuration is a few kilobytes; check that --config points at the right file.',
    });
  }
  let documents: unknown[];
  try {
    const options: LoadOptions = { schema: SCHEMA, filename: source, maxDepth: MAX_NESTING_DEPTH };
    documents = yaml.loadAll(text, null, options);
  } catch (err) {
    throw yamlSyntaxError(err, source);
  }
  // Empty documents (a stray `---`) are dropped, as kubeadm's SplitYAMLDocuments does; documents
  // are numbered from 1 among the rest, here and in the loader's messages.
  const nonEmpty = documents.filter((doc) => doc !== null && doc !== undefined);
  assertBoundedAliases(nonEmpty, source);
  return nonEmpty;
}

/**
 * Rejects parsed YAML documents whose aliases would expand past MAX_EXPANDED_NODES or into a
 * cycle (also used by the API server for YAML request bodies, as upstream's decoder refuses
 * "excessive aliasing").
 */
export function assertBoundedAliases(documents: readonly unknown[], source: string): void {
  const sizes = new WeakMap<object, number>();
  let total = 0;
  documents.forEach((doc, index) => {
    try {
      total += expandedSize(doc, sizes, new Set());
      if (total > MAX_EXPANDED_NODES) throw tooLarge(total);
    } catch (err) {
      if (err instanceof AliasLimit) {
        throw validationError('KF_CONFIG_YAML_ALIASES', `${source}: document ${index + 1}: ${err.message}`, {
          hint: 'YAML anchors and aliases must not expand into a huge or recursive structure (a "billion laughs" document).',
        });
      }
      throw err;
    }
  });
}

class AliasLimit extends Error {}

/**
 * Nodes the value would have if every alias were copied out. Each distinct object is measured once
 * (memoised), so this is linear in the parsed size even when the expansion is exponential.
 */
function expandedSize(value: unknown, sizes: WeakMap<object, number>, inProgress: Set<object>): number {
  if (value === null || typeof value !== 'object') return 1;
  const known = sizes.get(value);
  if (known !== undefined) return known;
  if (inProgress.has(value)) throw new AliasLimit('an alias refers to a node that contains it (a recursive structure)');
  inProgress.add(value);
  let size = 1;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    size += expandedSize(child, sizes, inProgress);
    if (size > MAX_EXPANDED_NODES) throw tooLarge(size);
  }
  inProgress.delete(value);
  sizes.set(value, size);
  return size;
}

function tooLarge(size: number): AliasLimit {
  return new AliasLimit(`aliases expand to more than ${MAX_EXPANDED_NODES} nodes (at least ${size}); refusing to expand it`);
}

function yamlSyntaxError(err: unknown, source: string) {
  if (err instanceof yaml.YAMLException) {
    const { mark, reason } = err;
    const where = mark ? `${source}:${mark.line + 1}:${mark.column + 1}` : source;
    const line = mark ? ` (line ${mark.line + 1}, column ${mark.column + 1})` : '';
    return validationError('KF_CONFIG_YAML_SYNTAX', `${where}: invalid YAML${line}: ${reason}`, {
      cause: err,
      hint: 'Fix the YAML syntax at the position shown (indentation must use spaces; documents are separated by ---).',
    });
  }
  return validationError('KF_CONFIG_YAML_SYNTAX', `${source}: invalid YAML: ${String(err)}`, { cause: err });
}
