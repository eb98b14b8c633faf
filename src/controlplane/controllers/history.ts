/**
 * ControllerRevisions, the history of DaemonSets and StatefulSets (upstream's
 * controller/history): each revision is named `<owner>-<hash>`, carries the owner's template
 * labels (so `kubectl rollout history|undo` finds it through the owner's selector) and a
 * controller ownerReference, and its data is the strategic-merge patch that restores the
 * template (`{"spec":{"template":{…,"$patch":"replace"}}}`), which `kubectl rollout undo`
 * sends back. A template seen before reuses its revision with the next number.
 */
import { isAlreadyExists, type KubeObject, type ResourceRef } from '../../kube/index.js';
import type { ApiClient } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { canonical, objectHash, ownerReference, type PodTemplate } from './workloads.js';

export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision: number;
}

export interface RevisionOwner extends KubeObject {
  spec: { template: PodTemplate; revisionHistoryLimit?: number };
  status?: { collisionCount?: number };
}



/** upstream's getPatch: the data that restores this template. */
export const revisionData = (template: PodTemplate): unknown => ({ spec: { template: { ...template, $patch: 'replace' } } });

export const maxRevisionNumber = (revisions: ControllerRevision[]): number => Math.max(0, ...revisions.map((r) => r.revision ?? 0));

export interface RevisionStep {
  /** The revision of the owner's current template (to create when `created`). */
  revision: ControllerRevision;
  /** Its hash (the `<owner>-<hash>` suffix). */
  hash: string;
  created: boolean;
  /** A stored revision whose template is current again: its number is raised. */
  renumbered: boolean;
}

/**
 * The revision of `owner`'s template among its stored `revisions`: the stored one with the
 * same data (renumbered to max+1 when an older number), or a new one. `hashLabel` is the label
 * the revision carries its hash in (DaemonSet: controller-revision-hash; StatefulSet:
 * controller.kubernetes.io/hash).
 */
export function currentRevision(owner: RevisionOwner, revisions: ControllerRevision[], hashLabel: string): RevisionStep {
  const data = revisionData(owner.spec.template);
  const key = canonical(data);
  const matching = revisions.filter((r) => canonical(r.data) === key).sort((a, b) => b.revision - a.revision);
  const others = revisions.filter((r) => !matching.includes(r));
  const next = maxRevisionNumber(others) + 1;
  const existing = matching[0];
  if (existing) {
    const hash = existing.metadata.labels?.[hashLabel] ?? existing.metadata.name!.slice(owner.metadata.name!.length + 1);
    if (existing.revision >= next) return { revision: existing, hash, created: false, renumbered: false };
    return { revision: { ...existing, revision: next }, hash, created: false, renumbered: true };
  }
  const hash = objectHash(data, owner.status?.collisionCount ?? 0);
  return {
    hash,
    created: true,
    renumbered: false,
    revision: {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${owner.metadata.name}-${hash}`,
        namespace: owner.metadata.namespace,
        labels: { ...(owner.spec.template.metadata?.labels ?? {}), [hashLabel]: hash },
        ownerReferences: [ownerReference(owner)],
      },
      data,
      revision: next,
    },
  };
}

/**
 * Stores the revision of the owner's current template (created, or renumbered when an older
 * one is current again). A different revision already holding the name bumps the owner's
 * status.collisionCount (the next sync hashes anew) and returns undefined.
 */
export async function storeCurrentRevision(client: ApiClient, owner: RevisionOwner, ownerStatus: ResourceRef, owned: ControllerRevision[], hashLabel: string): Promise<RevisionStep | undefined> {
  const step = currentRevision(owner, owned, hashLabel);
  const namespace = owner.metadata.namespace;
  if (step.renumbered) await client.update(ref('controllerrevisions', namespace, step.revision.metadata.name), step.revision);
  if (!step.created) return step;
  try {
    await client.create(ref('controllerrevisions', namespace), step.revision);
    return step;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    // As upstream: the name may hold this very revision, created by an earlier sync the informer
    // has not shown yet; only different data under the name is a hash collision.
    const stored = await client.get<ControllerRevision>(ref('controllerrevisions', namespace, step.revision.metadata.name));
    if (canonical(stored.data) === canonical(step.revision.data)) return { ...step, revision: stored, created: false };
    await client.update(ownerStatus, { ...owner, status: { ...owner.status, collisionCount: (owner.status?.collisionCount ?? 0) + 1 } });
    return undefined;
  }
}

/** Old revisions beyond revisionHistoryLimit (10) that no live pod or current state uses, lowest first. */
export function revisionsToPrune(owner: RevisionOwner, revisions: ControllerRevision[], live: Set<string>): ControllerRevision[] {
  const old = revisions.filter((r) => !live.has(r.metadata.name!)).sort((a, b) => a.revision - b.revision);
  return old.slice(0, Math.max(0, old.length - (owner.spec.revisionHistoryLimit ?? 10)));
}
