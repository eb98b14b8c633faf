/**
 * Test images built offline: Debian's static busybox as a one-layer OCI archive (`sh`, `httpd`,
 * `wget`, `sleep`, … as applet links), named as the test asks. No registry is needed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { buildOciArchive, busyboxEntries } from '../../src/agent/cri/oci-archive.js';

export const BUSYBOX = '/bin/busybox';

export async function writeBusyboxImage(file: string, name: string): Promise<void> {
  const applets = execFileSync(BUSYBOX, ['--list']).toString().trim().split('\n');
  await writeFile(file, await buildOciArchive({ name, entries: busyboxEntries(readFileSync(BUSYBOX), applets), cmd: ['sh'] }));
}
