/**
 * Kinds served in more than one version over one storage: custom resources (conversion
 * strategy None: only apiVersion changes) and HorizontalPodAutoscaler (stored as
 * autoscaling/v2, served as v1 too; hpa.ts converts). Objects are stored in the storage version
 * and read back in the version a request names. Pure.
 */
import { hpaAs } from './hpa.js';
import { groupVersion, type ResourceType } from './resources.js';
import type { KubeObject } from './storage.js';

const isHpa = (type: ResourceType) => !type.custom && type.group === 'autoscaling' && type.kind === 'HorizontalPodAutoscaler';

/** Whether objects of `type` may be stored in another version than the one requested. */
export function converts(type: ResourceType): boolean {
  return type.custom !== undefined || isHpa(type);
}

function convert(type: ResourceType, object: KubeObject, apiVersion: string): KubeObject {
  if (object.apiVersion === apiVersion || object.kind !== type.kind) return object;
  return isHpa(type) ? hpaAs(object, apiVersion) : { ...object, apiVersion };
}

/** A stored object or list as the requested version serves it. */
export function asVersion(type: ResourceType, body: KubeObject): KubeObject {
  if (!converts(type)) return body;
  const apiVersion = groupVersion(type);
  if (Array.isArray(body.items)) return { ...body, items: (body.items as KubeObject[]).map((item) => convert(type, item, apiVersion)) };
  return convert(type, body, apiVersion);
}

/** An object as it is stored (HorizontalPodAutoscalers as autoscaling/v2). */
export function toStorage(type: ResourceType, object: KubeObject): KubeObject {
  return isHpa(type) ? hpaAs(object, 'autoscaling/v2') : object;
}
