/**
 * tokencleaner: deletes bootstrap token Secrets in kube-system whose expiration has passed (or
 * does not parse), with a uid precondition so a re-created Secret of the same name survives;
 * a token that expires later is looked at again at its expiry time.
 */
import { isNotFound, resourcePath } from '../../kube/index.js';
import { runInformerLoop, type Controller, type ControllerContext } from '../common/controller.js';
import type { WorkQueue } from '../common/workqueue.js';
import { ref } from '../common/resources.js';
import { isBootstrapTokenSecret, secretDataValue, tokenExpiration } from '../../token/index.js';
import type { Secret } from './bootstraptoken.js';

export type TokenCleanerDecision = { action: 'keep' } | { action: 'delete' } | { action: 'recheck'; afterMs: number };

/** What to do with a Secret now: delete it, keep it, or look again when it expires. */
export function tokenCleanerDecision(secret: Secret, now: Date): TokenCleanerDecision {
  if (!isBootstrapTokenSecret(secret) || secret.metadata.namespace !== 'kube-system') return { action: 'keep' };
  const expiration = tokenExpiration(secretDataValue(secret, 'expiration'), now);
  if (expiration.kind === 'expired') return { action: 'delete' };
  if (expiration.kind === 'expires') return { action: 'recheck', afterMs: expiration.inMs };
  return { action: 'keep' };
}

export const tokenCleanerController: Controller = {
  name: 'tokencleaner',
  async run(ctx: ControllerContext) {
    const sync = async (secret: Secret, key: string, queue: WorkQueue) => {
      const decision = tokenCleanerDecision(secret, ctx.now());
      if (decision.action === 'recheck') queue.addAfter(key, decision.afterMs + 1);
      if (decision.action !== 'delete') return;
      const path = resourcePath(ref('secrets', 'kube-system', secret.metadata.name));
      try {
        await ctx.client.request('DELETE', path, { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: secret.metadata.uid } } });
        ctx.log.debug(2, `[tokencleaner] deleted expired bootstrap token Secret ${key}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    };
    await runInformerLoop(ctx, { name: 'token_cleaner', informer: ctx.informers.informerFor<Secret>(ref('secrets', 'kube-system')), accept: isBootstrapTokenSecret, workers: 1, sync });
  },
};
