import { describe, expect, it } from 'vitest';
import type { ProcessHost } from '../host/index.js';
import { checkIptables } from './iptables.js';

const host = (run: ProcessHost['run']) => ({ run }) as unknown as ProcessHost;

describe('checkIptables', () => {
  it('refuses to start a proxy where iptables-save cannot run (it must not take the lock)', async () => {
    const missing = host(async () => {
      throw Object.assign(new Error('spawn iptables-save ENOENT'), { code: 'ENOENT' });
    });
    await expect(checkIptables(missing)).rejects.toMatchObject({ code: 'KF_PROXY_IPTABLES', message: expect.stringContaining('ENOENT') });
    const failing = host(async () => ({ exitCode: 1, stdout: '', stderr: 'Permission denied (you must be root)' }));
    await expect(checkIptables(failing)).rejects.toMatchObject({ code: 'KF_PROXY_IPTABLES', message: expect.stringContaining('Permission denied') });
  });

  it('passes where iptables-save answers', async () => {
    await expect(checkIptables(host(async () => ({ exitCode: 0, stdout: '*nat\nCOMMIT\n', stderr: '' })))).resolves.toBeUndefined();
  });
});
