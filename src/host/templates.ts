/**
 * kubeforge's own templates (the package's templates/ folder: static-pod skeleton, kubelet
 * config, systemd unit, addons). They are package assets, not node files, so `--root` and
 * `--dry-run` never apply; the folder is found from this module's URL, two levels up from both
 * src/host/ and dist/host/. Read once, cached.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KubeforgeError } from '../errors.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

const cache = new Map<string, string>();

/** The text of templates/<name>. */
export function readTemplate(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    try {
      text = readFileSync(`${TEMPLATES_DIR}${name}`, 'utf8');
    } catch (cause) {
      throw new KubeforgeError('KF_TEMPLATE_MISSING', `cannot read template ${name} from ${TEMPLATES_DIR}`, {
        cause,
        hint: 'the templates/ folder ships with the package; reinstall kubeforge or run it from its source tree',
      });
    }
    cache.set(name, text);
  }
  return text;
}
