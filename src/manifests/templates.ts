/**
 * The package's templates/ folder (static-pod skeleton, kubelet config, systemd unit) and the one
 * YAML serialiser every rendered file goes through.
 *
 * Templates are package assets, not node files, so they are read here directly (once, cached)
 * rather than through the Host: `--root` and `--dry-run` never apply to them. The folder is found
 * from this module's URL, two levels up from both src/manifests/ and dist/manifests/.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { KubeforgeError } from '../errors.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

const cache = new Map<string, string>();

/** The text of templates/<name>. */
export function templateText(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    try {
      text = readFileSync(`${TEMPLATES_DIR}${name}`, 'utf8');
    } catch (cause) {
      throw new KubeforgeError('KF_MANIFEST_TEMPLATE', `cannot read template ${name} from ${TEMPLATES_DIR}`, {
        cause,
        hint: 'the templates/ folder ships with the package; reinstall kubeforge or run it from its source tree',
      });
    }
    cache.set(name, text);
  }
  return text;
}

/** A fresh copy of the object in the YAML template templates/<name> (callers may mutate it). */
export function templateObject<T>(name: string): T {
  return yaml.load(templateText(name)) as T;
}

/**
 * Deterministic YAML in kubeadm's shape. kubeadm marshals through sigs.k8s.io/yaml, which goes via
 * JSON into a map, so keys come out sorted; sequences sit at their parent's indentation; long
 * strings are never folded; strings that need quoting get double quotes.
 */
export function toYaml(value: unknown): string {
  const text = yaml.dump(value, { sortKeys: true, noArrayIndent: true, lineWidth: -1, noRefs: true, quotingType: '"' });
  return text.replace(QUOTED_FLAG, '$1$2');
}

/**
 * js-yaml quotes every string that starts with "-", but `--name=value` is a valid plain scalar and
 * kubeadm writes command flags unquoted. Unquote a flag when nothing in it needs quoting: no
 * whitespace, quotes or backslashes (so no ": " or " #"), and no trailing colon.
 */
const QUOTED_FLAG = /^(\s*(?:- |[^\s"#][^"]*: ))"(--[^"\\\s]*[^"\\\s:])"$/gm;
