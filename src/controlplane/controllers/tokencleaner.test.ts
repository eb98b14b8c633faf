import { afterEach, describe, expect, it } from 'vitest';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { tokenCleanerController, tokenCleanerDecision } from './tokencleaner.js';
import { tokenSecret } from '../../../test/helpers/token-secrets.js';

const now = new Date('2026-01-01T00:00:00Z');

describe('tokencleaner decisions', () => {
  it('deletes a token whose expiration has passed', () => {
    expect(tokenCleanerDecision(tokenSecret('abcdef.0123456789abcdef', { expiration: '2025-12-31T23:59:59Z' }), now)).toEqual({ action: 'delete' });
  });

  it('deletes a token whose expiration is exactly now', () => {
    expect(tokenCleanerDecision(tokenSecret('abcdef.0123456789abcdef', { expiration: '2026-01-01T00:00:00Z' }), now)).toEqual({ action: 'delete' });
  });

  it('deletes a token whose expiration does not parse', () => {
    expect(tokenCleanerDecision(tokenSecret('abcdef.0123456789abcdef', { expiration: 'next tuesday' }), now)).toEqual({ action: 'delete' });
  });

  it('looks again at the expiry time of a token that expires later (with a zone offset)', () => {
    expect(tokenCleanerDecision(tokenSecret('abcdef.0123456789abcdef', { expiration: '2026-01-01T01:00:30+01:00' }), now)).toEqual({ action: 'recheck', afterMs: 30_000 });
  });

  it('keeps a token without expiration', () => {
    expect(tokenCleanerDecision(tokenSecret('abcdef.0123456789abcdef'), now)).toEqual({ action: 'keep' });
  });

  it('leaves Secrets of other types alone even with an expired expiration key', () => {
    expect(tokenCleanerDecision({ ...tokenSecret('abcdef.0123456789abcdef', { expiration: '2020-01-01T00:00:00Z' }), type: 'Opaque' }, now)).toEqual({ action: 'keep' });
  });
});

describe('tokencleaner loop (against the in-memory FakeApi)', () => {
  afterEach(stopFakes);

  it('deletes an already expired token at once and another one when it expires', async () => {
    const api = new FakeApi();
    api.put(ref('secrets'), tokenSecret('aaaaaa.0123456789abcdef', { expiration: '2020-01-01T00:00:00Z' }));
    api.put(ref('secrets'), tokenSecret('bbbbbb.0123456789abcdef', { expiration: new Date(Date.now() + 1500).toISOString() }));
    api.put(ref('secrets'), tokenSecret('cccccc.0123456789abcdef'));
    runAgainstFake(api, tokenCleanerController);
    const names = () => api.all(ref('secrets')).map((s) => s.metadata.name).sort();
    await eventually(() => !names().includes('bootstrap-token-aaaaaa'), 2000, 'the expired token to go');
    expect(names()).toContain('bootstrap-token-bbbbbb');
    await eventually(() => !names().includes('bootstrap-token-bbbbbb'), 3000, 'the second token to go at expiry');
    expect(names()).toEqual(['bootstrap-token-cccccc']);
    const del = api.calls.find((c) => c.method === 'DELETE');
    expect(del?.path).toBe('/api/v1/namespaces/kube-system/secrets/bootstrap-token-aaaaaa');
  });
});
