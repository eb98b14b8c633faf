/** Reads kubeforge's own templates (the package's templates/ folder), wherever it is installed. */
import { readFileSync } from 'node:fs';

const TEMPLATES = new URL('../../templates/', import.meta.url);

export function readTemplate(relativePath: string): string {
  return readFileSync(new URL(relativePath, TEMPLATES), 'utf8');
}
