import { afterEach, describe, expect, it } from 'vitest';
import { dropIpServernameWarning } from './warnings.js';

describe('dropIpServernameWarning', () => {
  const original = process.emitWarning;
  afterEach(() => {
    process.emitWarning = original;
  });

  it("drops Node's DEP0123 (TLS server name set to an IP) and passes every other warning on", async () => {
    const seen: string[] = [];
    const listener = (w: Error & { code?: string }) => seen.push(w.code ?? w.message);
    process.on('warning', listener);
    try {
      dropIpServernameWarning();
      process.emitWarning('Setting the TLS ServerName to an IP address is not permitted by RFC 6066.', 'DeprecationWarning', 'DEP0123');
      process.emitWarning('an IP server name again', { type: 'DeprecationWarning', code: 'DEP0123' });
      process.emitWarning('something else', 'DeprecationWarning', 'DEP0005');
      process.emitWarning('a plain warning');
      await new Promise((r) => setImmediate(r));
      expect(seen).toEqual(['DEP0005', 'a plain warning']);
    } finally {
      process.off('warning', listener);
    }
  });
});
