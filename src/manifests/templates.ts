/** Template objects, and the one YAML serialiser every rendered file goes through. */
import yaml from 'js-yaml';
import { loadYaml } from '../safe-yaml.js';
import { readTemplate } from '../host/index.js';

/** A fresh copy of the object in the YAML template templates/<name> (callers may mutate it). */
export function templateObject<T>(name: string): T {
  return loadYaml(readTemplate(name)) as T;
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
