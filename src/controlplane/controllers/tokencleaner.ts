/**
 * tokencleaner: deletes bootstrap token Secrets in kube-system whose expiration has passed (or
 * does not parse), with a uid precondition so a re-created Secret of the same name survives;
 * a token that expires later is looked at again at its expiry time.
 */
import { isNotFound, resourcePath } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { isBootstrapTokenSecret, tokenExpiration, type Secret } from './bootstraptoken.js';

export type TokenCleanerDecision = { action: 'keep' } | { action: 'delete' } | { action: 'recheck'; afterMs: number };

/** What to do with a Secret now: delete it, keep it, or look again when it expires. */
export function tokenCleanerDecision(secret: Secret, now: Date): TokenCleanerDecision {
  if (!isBootstrapTokenSecret(secret) || secret.metadata.namespace !== 'kube-system') return { action: 'keep' };
  const expiration = tokenExpiration(secret, now);
  if (expiration.kind === 'expired') return { action: 'delete' };
  if (expiration.kind === 'expires') return { action: 'recheck', afterMs: expiration.inMs };
  return { action: 'keep' };
}

export const tokenCleanerController: Controller = {
  name: 'tokencleaner',
  async run(ctx: ControllerContext) {
    const secrets = ctx.informers.informerFor<Secret>(ref('secrets', 'kube-system'));
    const queue = contextQueue(ctx, 'token_cleaner');
    const enqueue = (s: Secret) => isBootstrapTokenSecret(s) && queue.add(objectKey(s));
    secrets.on({ add: enqueue, update: (_, s) => enqueue(s) });
    await secrets.synced();
    const sync = async (key: string) => {
      const secret = secrets.get(key);
      if (!secret) return;
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
    await Promise.race([runQueue(ctx, queue, 1, sync), untilAborted(ctx.signal)]);
  },
};
