/**
 * Multi-document YAML for untrusted config files: the shared safe decoder (src/safe-yaml.ts) with
 * a size cap, a nesting cap and a hard cap on alias expansion, its failures as validation errors.
 */
import { loadYamlDocuments, YamlAliasError, YAMLException } from '../safe-yaml.js';
import { validationError } from '../errors.js';

export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;
export const MAX_EXPANDED_NODES = 1_000_000;
export const MAX_NESTING_DEPTH = 100;

export function parseYamlDocuments(text: string, source: string): unknown[] {
  // String length counts UTF-16 units, which is ≤ the UTF-8 byte count, so the cheap check first.
  if (text.length > MAX_CONFIG_BYTES || Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    throw validationError('KF_CONFIG_TOO_LARGE', `${source}: the configuration is larger than the limit of ${MAX_CONFIG_BYTES} bytes (2 MiB)`, {
      hint: 'A kubeadm configuration is a few kilobytes; check that --config points at the right file.',
    });
  }
  // Empty documents (a stray `---`) are dropped, as kubeadm's SplitYAMLDocuments does; documents
  // are numbered from 1 among the rest, here and in the loader's messages.
  try {
    return loadYamlDocuments(text, { filename: source, maxDepth: MAX_NESTING_DEPTH, maxExpandedNodes: MAX_EXPANDED_NODES });
  } catch (err) {
    if (err instanceof YamlAliasError) {
      throw validationError('KF_CONFIG_YAML_ALIASES', `${source}: ${/^document \d+:/.test(err.message) ? '' : 'document 1: '}${err.message}`, {
        hint: 'YAML anchors and aliases must not expand into a huge or recursive structure (a "billion laughs" document).',
      });
    }
    throw yamlSyntaxError(err, source);
  }
}

function yamlSyntaxError(err: unknown, source: string) {
  if (err instanceof YAMLException) {
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
