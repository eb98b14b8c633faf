/** Debian's python3-kubernetes, one of the outside clients the API server is tested with. */
import { execFileSync } from 'node:child_process';

/** Debian's python3-kubernetes lives in the system python, not in a pyenv one first on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Fails the test (never skips it) when the client is not installed, naming the install command. */
export function assertPythonKubernetes(): void {
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import kubernetes'], { stdio: 'ignore' });
  } catch (err) {
    throw new Error('the python client is missing: apt-get install python3-kubernetes (scripts/install-deps.sh does it as root)', { cause: err });
  }
}
