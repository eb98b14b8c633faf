import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../admission/types.js';
import { findResource, type ResourceType } from '../resources.js';
import { ApiError } from '../status.js';
import { dispatchMutating, dispatchValidating, type DispatchContext, type Webhook } from './dispatch.js';
import { webhooksOf } from './index.js';
import { denial, verifyAdmissionResponse, WebhookCallError } from './review.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- AdmissionReview bodies are read as untyped JSON
type Json = any;
const configmaps = findResource('', 'v1', 'configmaps') as ResourceType;
type Answer = (request: Record<string, Json>) => Record<string, unknown> | Error;

/** Webhooks of one configuration, called through a fake transport that answers with `answers[name]`. */
function setup(hooks: Array<Record<string, unknown>>, answers: Record<string, Answer>) {
  const calls: string[] = [];
  const failedOpen: string[] = [];
  const webhooks: Webhook[] = webhooksOf([{ metadata: { name: 'config' }, webhooks: hooks.map((h) => ({ rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['*'], resources: ['configmaps'] }], sideEffects: 'None', admissionReviewVersions: ['v1'], failurePolicy: 'Fail', ...h })) }]);
  const ctx: DispatchContext = {
    namespaceLabels: () => ({}),
    celVariables: () => ({}),
    failedOpen: (name) => failedOpen.push(name),
    call: async (hook, review) => {
      calls.push(hook.name);
      const request = (review as { request: Record<string, Json> }).request;
      const result = (answers[hook.name] as Answer)(request);
      if (result instanceof Error) throw result;
      return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, ...result } };
    },
  };
  return { webhooks, ctx, calls, failedOpen };
}

const attrs = (over: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  user: { name: 'alice', groups: ['system:authenticated'] },
  operation: 'CREATE',
  type: configmaps,
  subresource: '',
  namespace: 'default',
  name: 'cm',
  object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cm', namespace: 'default', labels: {} } },
  ...over,
});
const patch = (ops: unknown[]) => ({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
const addLabel = (key: string, value: string) => () => patch([{ op: 'add', path: `/metadata/labels/${key}`, value }]);

describe('mutating webhooks', () => {
  it('applies each JSONPatch in order, each webhook seeing the object as the one before left it', async () => {
    const seen: unknown[] = [];
    const { webhooks, ctx } = setup([{ name: 'a.example.com' }, { name: 'b.example.com' }], {
      'a.example.com': addLabel('a', '1'),
      'b.example.com': (r) => (seen.push(r.object.metadata.labels), patch([{ op: 'add', path: '/metadata/labels/b', value: '2' }])),
    });
    const result = await dispatchMutating(webhooks, attrs(), ctx);
    expect(result?.metadata?.labels).toEqual({ a: '1', b: '2' });
    expect(seen).toEqual([{ a: '1' }]);
  });

  it('calls a webhook with reinvocationPolicy IfNeeded once more when a later webhook changed the object', async () => {
    const answers = { 'first.example.com': () => ({ allowed: true }), 'second.example.com': addLabel('b', '2') };
    const never = setup([{ name: 'first.example.com' }, { name: 'second.example.com' }], answers);
    await dispatchMutating(never.webhooks, attrs(), never.ctx);
    expect(never.calls).toEqual(['first.example.com', 'second.example.com']);
    const ifNeeded = setup([{ name: 'first.example.com', reinvocationPolicy: 'IfNeeded' }, { name: 'second.example.com' }], answers);
    await dispatchMutating(ifNeeded.webhooks, attrs(), ifNeeded.ctx);
    expect(ifNeeded.calls).toEqual(['first.example.com', 'second.example.com', 'first.example.com']);
  });

  it('answers undefined when no webhook changed the object', async () => {
    const { webhooks, ctx } = setup([{ name: 'a.example.com' }], { 'a.example.com': () => patch([]) });
    expect(await dispatchMutating(webhooks, attrs(), ctx)).toBeUndefined();
  });

  it('refuses a patch for a DELETE, which has no object to patch', async () => {
    const { webhooks, ctx } = setup([{ name: 'a.example.com' }], { 'a.example.com': addLabel('a', '1') });
    await expect(dispatchMutating(webhooks, attrs({ operation: 'DELETE', object: undefined, oldObject: attrs().object }), ctx)).rejects.toThrow(
      'Internal error occurred: admission webhook "a.example.com" attempted to modify the object, which is not supported for this operation',
    );
  });

  it('refuses a patch that does not decode, or of another type (500 under Fail)', async () => {
    const bad = setup([{ name: 'a.example.com' }], { 'a.example.com': () => ({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from('{"op":"add"}').toString('base64') }) });
    await expect(dispatchMutating(bad.webhooks, attrs(), bad.ctx)).rejects.toThrow(/failed calling webhook "a.example.com": received undecodable patch in webhook response/);
    const other = setup([{ name: 'a.example.com' }], { 'a.example.com': () => ({ ...patch([{ op: 'add', path: '/x', value: 1 }]), patchType: 'MergePatch' }) });
    await expect(dispatchMutating(other.webhooks, attrs(), other.ctx)).rejects.toThrow('failed calling webhook "a.example.com": unsupported patch type "MergePatch"');
  });
});

describe('failures and refusals', () => {
  const down = () => new WebhookCallError('a.example.com', 'failed to call webhook: Post "https://x/?timeout=10s": context deadline exceeded');

  it('skips a failing webhook under failurePolicy Ignore and refuses with a 500 under Fail', async () => {
    const ignore = setup([{ name: 'a.example.com', failurePolicy: 'Ignore' }], { 'a.example.com': down });
    await expect(dispatchValidating(ignore.webhooks, attrs(), ignore.ctx)).resolves.toBeUndefined();
    expect(ignore.failedOpen).toEqual(['a.example.com']);
    const fail = setup([{ name: 'a.example.com' }], { 'a.example.com': down });
    const err = await dispatchValidating(fail.webhooks, attrs(), fail.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 500, reason: 'InternalError', message: 'Internal error occurred: failed calling webhook "a.example.com": failed to call webhook: Post "https://x/?timeout=10s": context deadline exceeded' });
  });

  it('returns a denial with the webhook\'s status, the first in configuration order', async () => {
    const { webhooks, ctx } = setup([{ name: 'a.example.com' }, { name: 'b.example.com' }], {
      'a.example.com': () => ({ allowed: false, status: { code: 403, reason: 'Forbidden', message: 'no a' } }),
      'b.example.com': () => ({ allowed: false, status: { message: 'no b' } }),
    });
    await expect(dispatchValidating(webhooks, attrs(), ctx)).rejects.toMatchObject({ code: 403, reason: 'Forbidden', message: 'admission webhook "a.example.com" denied the request: no a' });
  });

  it('refuses a dry run for a webhook with side effects (400, whatever its failurePolicy)', async () => {
    const { webhooks, ctx, calls } = setup([{ name: 'a.example.com', sideEffects: 'Some', failurePolicy: 'Ignore' }], { 'a.example.com': () => ({ allowed: true }) });
    await expect(dispatchValidating(webhooks, attrs({ dryRun: true }), ctx)).rejects.toMatchObject({ code: 400, message: 'admission webhook "a.example.com" does not support dry run' });
    expect(calls).toEqual([]);
  });

  it('passes warnings and audit annotations on', async () => {
    const warnings: string[] = [];
    const annotations: Record<string, string> = {};
    const { webhooks, ctx } = setup([{ name: 'a.example.com' }], { 'a.example.com': () => ({ allowed: true, warnings: ['careful'], auditAnnotations: { checked: 'yes' } }) });
    await dispatchValidating(webhooks, attrs({ warn: (w) => warnings.push(w), annotate: (k, v) => (annotations[k] = v) }), ctx);
    expect(warnings).toEqual(['careful']);
    expect(annotations).toEqual({ 'a.example.com/checked': 'yes' });
  });
});

describe('AdmissionReview responses (upstream VerifyAdmissionResponse)', () => {
  const review = (response: Record<string, unknown>, meta = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }) => ({ ...meta, response: { uid: 'u1', allowed: true, ...response } });
  it.each([
    ['no response', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, true, 'webhook response was absent'],
    ['another uid', review({ uid: 'u2' }), true, 'expected response.uid="u1", got "u2"'],
    ['another kind', review({}, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview2' }), true, 'expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v1, Kind=AdmissionReview2'],
    ['patch without patchType', review({ patch: 'W10=' }), true, 'webhook returned response.patch but not response.patchType'],
    ['patchType without patch', review({ patchType: 'JSONPatch' }), true, 'webhook returned response.patchType but not response.patch'],
    ['a patch from a validating webhook', review({ patch: 'W10=', patchType: 'JSONPatch' }), false, 'validating webhook may not return response.patch'],
  ])('refuses %s', (_what, body, mutating, message) => {
    expect(() => verifyAdmissionResponse('u1', mutating, 'v1', body)).toThrow(message);
  });

  it('reads a v1beta1 answer without the v1 checks', () => {
    expect(verifyAdmissionResponse('u1', true, 'v1beta1', { response: { allowed: true, patch: 'W10=' } })).toMatchObject({ allowed: true, patchType: 'JSONPatch' });
  });

  it.each([
    [{ code: 403, message: 'no' }, 403, 'admission webhook "w.example.com" denied the request: no'],
    [{ reason: 'Unlucky' }, 400, 'admission webhook "w.example.com" denied the request: Unlucky'],
    [{ code: 200 }, 400, 'admission webhook "w.example.com" denied the request without explanation'],
    [undefined, 400, 'admission webhook "w.example.com" denied the request without explanation'],
  ])('a denial with status %j is a %i: %s', (status, code, message) => {
    expect(denial('w.example.com', status)).toMatchObject({ code, message });
  });
});
