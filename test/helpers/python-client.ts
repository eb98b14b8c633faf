/** Debian's python3-kubernetes, one of the outside clients the API server is tested with. */
import { execFileSync } from 'node:child_process';

/** It lives in the system python, not in a pyenv one first on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

function hasPythonKubernetes(): boolean {
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import kubernetes'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when python3-kubernetes is not installed (apt-get install python3-kubernetes): its tests are skipped. */
export const PYTHON_MISSING = !hasPythonKubernetes();
