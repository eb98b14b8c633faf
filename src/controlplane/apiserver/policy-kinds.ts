/**
 * More kinds as upstream serves them: v1 ResourceQuota, LimitRange, PodTemplate and
 * ReplicationController; admissionregistration.k8s.io/v1 Validating/MutatingWebhookConfiguration,
 * ValidatingAdmissionPolicy(+Binding); node.k8s.io/v1 RuntimeClass. Defaults (upstream's
 * defaults.go of each group, the pod template's PodSpec defaults), validation of the main fields
 * with upstream's paths and messages, and printer columns. Pure.
 */
import { type KindSpec, type Obj, atLeast, child, invalid, list, obj, required, spec, str, supported } from './kind-spec.js';
import type { StatusCause } from './status.js';
import type { KubeObject } from './storage.js';
import { labelKeyErrors, nameErrors } from './validation.js';

/** Upstream's PodSpec and Container defaults (pkg/apis/core/v1/defaults.go) for a pod template. */
export function defaultPodTemplate(template: Obj): void {
  const podSpec = child(template, 'spec');
  podSpec.restartPolicy ??= 'Always';
  podSpec.dnsPolicy ??= 'ClusterFirst';
  podSpec.schedulerName ??= 'default-scheduler';
  podSpec.terminationGracePeriodSeconds ??= 30;
  podSpec.securityContext ??= {};
  for (const container of [...list(podSpec.initContainers), ...list(podSpec.containers)]) {
    container.terminationMessagePath ??= '/dev/termination-log';
    container.terminationMessagePolicy ??= 'File';
    const image = String(container.image ?? '');
    const tagged = /:[^/]+$/.test(image.split('@')[0] ?? '') && !image.endsWith(':latest');
    container.imagePullPolicy ??= tagged || image.includes('@') ? 'IfNotPresent' : 'Always';
    for (const port of list(container.ports)) port.protocol ??= 'TCP';
  }
}

const containersCause = (template: unknown, path: string): StatusCause[] => (list(obj(obj(template).spec).containers).length > 0 ? [] : [required(`${path}.spec.containers`)]);
/** A Go map[string]string as upstream's messages print it. */
const goMap = (m: Obj) => `map[string]string{${Object.keys(m).sort().map((k) => `"${k}":"${String(m[k])}"`).join(', ')}}`;

function validateReplicationController(rc: KubeObject): StatusCause[] {
  const s = spec(rc);
  const selector = obj(s.selector);
  const causes: StatusCause[] = [...atLeast('spec.replicas', s.replicas, 0)];
  if (Object.keys(selector).length === 0) causes.push(required('spec.selector'));
  if (s.template === undefined) return [...causes, required('spec.template')];
  const labels = obj(obj(obj(s.template).metadata).labels);
  if (Object.keys(selector).length > 0 && Object.entries(selector).some(([k, v]) => labels[k] !== v)) {
    causes.push({ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${goMap(labels)}: \`selector\` does not match template \`labels\`` });
  }
  causes.push(...containersCause(s.template, 'spec.template'), ...supported('spec.template.spec.restartPolicy', obj(obj(s.template).spec).restartPolicy, ['Always']));
  return causes;
}

function validateLimitRange(limitRange: KubeObject): StatusCause[] {
  return list(spec(limitRange).limits).flatMap((item, i) => (item.type === undefined ? [required(`spec.limits[${i}].type`)] : supported(`spec.limits[${i}].type`, item.type, ['Container', 'PersistentVolumeClaim', 'Pod'])));
}

function validateResourceQuota(quota: KubeObject): StatusCause[] {
  const s = spec(quota);
  const causes = Object.keys(obj(s.hard)).flatMap((k) => labelKeyErrors(k).map((msg) => invalid(`spec.hard[${k}]`, k, msg)));
  return [...causes, ...list(s.scopes).flatMap((scope, i) => supported(`spec.scopes[${i}]`, scope, ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating', 'VolumeAttributesClass']))];
}

function defaultWebhooks(config: KubeObject, mutating: boolean): void {
  for (const hook of list(config.webhooks)) {
    hook.failurePolicy ??= 'Fail';
    hook.matchPolicy ??= 'Equivalent';
    hook.namespaceSelector ??= {};
    hook.objectSelector ??= {};
    hook.timeoutSeconds ??= 10;
    if (mutating) hook.reinvocationPolicy ??= 'Never';
    for (const rule of list(hook.rules)) rule.scope ??= '*';
    const service = obj(obj(hook.clientConfig).service);
    if (obj(hook.clientConfig).service !== undefined) service.port ??= 443;
  }
}

function validateWebhooks(config: KubeObject): StatusCause[] {
  const hooks = list(config.webhooks);
  return hooks.flatMap((hook, i) => {
    const at = `webhooks[${i}]`;
    const causes: StatusCause[] = [];
    const name = typeof hook.name === 'string' ? hook.name : '';
    if (!name) causes.push(required(`${at}.name`));
    else {
      for (const msg of nameErrors(name, 'subdomain')) causes.push(invalid(`${at}.name`, name, msg));
      if (name.split('.').length < 3) causes.push(invalid(`${at}.name`, name, 'should be a domain with at least three segments separated by dots'));
      if (hooks.findIndex((h) => h.name === name) !== i) causes.push({ reason: 'FieldValueDuplicate', field: `${at}.name`, message: `Duplicate value: ${JSON.stringify(name)}` });
    }
    if (list(hook.admissionReviewVersions).length === 0) causes.push(required(`${at}.admissionReviewVersions`, 'must specify one of "v1", "v1beta1"'));
    if (hook.sideEffects === undefined) causes.push(required(`${at}.sideEffects`, 'must specify one of "None", "NoneOnDryRun"'));
    causes.push(...supported(`${at}.sideEffects`, hook.sideEffects, ['None', 'NoneOnDryRun']), ...supported(`${at}.failurePolicy`, hook.failurePolicy, ['Fail', 'Ignore']), ...supported(`${at}.matchPolicy`, hook.matchPolicy, ['Equivalent', 'Exact']));
    const client = obj(hook.clientConfig);
    if ((client.url === undefined) === (client.service === undefined)) causes.push(required(`${at}.clientConfig`, 'exactly one of url or service is required'));
    const timeout = hook.timeoutSeconds;
    if (typeof timeout === 'number' && (timeout < 1 || timeout > 30)) causes.push(invalid(`${at}.timeoutSeconds`, timeout, 'the timeout value must be between 1 and 30 seconds'));
    return causes;
  });
}

function defaultMatchResources(match: unknown): void {
  if (match === undefined) return;
  const m = obj(match);
  m.matchPolicy ??= 'Equivalent';
  m.namespaceSelector ??= {};
  m.objectSelector ??= {};
  for (const rule of [...list(m.resourceRules), ...list(m.excludeResourceRules)]) rule.scope ??= '*';
}

function validatePolicy(policy: KubeObject): StatusCause[] {
  const s = spec(policy);
  const causes: StatusCause[] = [];
  if (s.matchConstraints === undefined) causes.push(required('spec.matchConstraints'));
  if (list(s.validations).length === 0 && list(s.auditAnnotations).length === 0) causes.push(required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
  list(s.validations).forEach((v, i) => {
    if (!v.expression) causes.push(required(`spec.validations[${i}].expression`));
  });
  return [...causes, ...supported('spec.failurePolicy', s.failurePolicy, ['Fail', 'Ignore'])];
}

function validateBinding(binding: KubeObject): StatusCause[] {
  const s = spec(binding);
  const causes: StatusCause[] = [];
  if (!s.policyName) causes.push(required('spec.policyName'));
  const actions = list(s.validationActions) as unknown[];
  if (actions.length === 0) causes.push(required('spec.validationActions', 'at least one validation action is required'));
  actions.forEach((a, i) => causes.push(...supported(`spec.validationActions[${i}]`, a, ['Audit', 'Deny', 'Warn'])));
  return causes;
}

function quotaColumn(limits: boolean) {
  return (o: KubeObject) => {
    const status = obj(o.status);
    const hard = obj(status.hard);
    const used = obj(status.used);
    return Object.keys(hard).sort().filter((k) => k.startsWith('limits') === limits).map((k) => `${k}: ${str(used[k], '0')}/${String(hard[k])}`).join(', ');
  };
}

const templateContainers = (template: unknown) => list(obj(obj(template).spec).containers);
const webhookTable: KindSpec['table'] = ['name', { name: 'Webhooks', type: 'integer', cell: (o) => list(o.webhooks).length }, 'age'];

export const POLICY_KINDS: Readonly<Record<string, KindSpec>> = {
  ResourceQuota: {
    // status.hard follows spec.hard (upstream's quota controller); status.used is kept by quota.ts.
    write: (quota) => {
      if (quota.status !== undefined) quota.status = { ...obj(quota.status), hard: { ...obj(spec(quota).hard) } };
    },
    validate: validateResourceQuota,
    table: ['name', 'age', { name: 'Request', cell: quotaColumn(false) }, { name: 'Limit', cell: quotaColumn(true) }],
  },
  LimitRange: {
    write: (limitRange) => {
      for (const item of list(spec(limitRange).limits)) {
        if (item.type !== 'Container') continue;
        const [max, min] = [obj(item.max), obj(item.min)];
        const defaults = child(item, 'default');
        const requests = child(item, 'defaultRequest');
        for (const [k, v] of Object.entries(max)) defaults[k] ??= v;
        for (const [k, v] of Object.entries(defaults)) requests[k] ??= v;
        for (const [k, v] of Object.entries(min)) requests[k] ??= v;
        if (Object.keys(defaults).length === 0) delete item.default;
        if (Object.keys(requests).length === 0) delete item.defaultRequest;
      }
    },
    validate: validateLimitRange,
  },
  PodTemplate: {
    write: (podTemplate) => defaultPodTemplate(child(podTemplate, 'template')),
    validate: (podTemplate) => containersCause(podTemplate.template, 'template'),
    table: [
      { name: 'Template', cell: (o) => o.metadata?.name ?? '' },
      { name: 'Containers', cell: (o) => templateContainers(o.template).map((c) => String(c.name)).join(',') },
      { name: 'Images', cell: (o) => templateContainers(o.template).map((c) => String(c.image)).join(',') },
      { name: 'Pod Labels', cell: (o) => Object.entries(obj(obj(obj(o.template).metadata).labels)).map(([k, v]) => `${k}=${String(v)}`).sort().join(',') || '<none>' },
    ],
  },
  ReplicationController: {
    generation: true,
    write: (rc) => {
      const s = child(rc, 'spec');
      const labels = obj(obj(obj(s.template).metadata).labels);
      if (Object.keys(obj(s.selector)).length === 0 && Object.keys(labels).length > 0) s.selector = { ...labels };
      if (Object.keys(rc.metadata?.labels ?? {}).length === 0 && Object.keys(labels).length > 0) rc.metadata = { ...rc.metadata, labels: { ...(labels as Record<string, string>) } };
      s.replicas ??= 1;
      if (s.template !== undefined) defaultPodTemplate(obj(s.template));
    },
    validate: validateReplicationController,
    table: [
      'name',
      { name: 'Desired', type: 'integer', cell: (o) => Number(spec(o).replicas ?? 0) },
      { name: 'Current', type: 'integer', cell: (o) => Number(obj(o.status).replicas ?? 0) },
      { name: 'Ready', type: 'integer', cell: (o) => Number(obj(o.status).readyReplicas ?? 0) },
      'age',
      { name: 'Containers', wide: true, cell: (o) => templateContainers(spec(o).template).map((c) => String(c.name)).join(',') },
      { name: 'Images', wide: true, cell: (o) => templateContainers(spec(o).template).map((c) => String(c.image)).join(',') },
      { name: 'Selector', wide: true, cell: (o) => Object.entries(obj(spec(o).selector)).map(([k, v]) => `${k}=${String(v)}`).sort().join(',') || '<none>' },
    ],
  },
  ValidatingWebhookConfiguration: { write: (c) => defaultWebhooks(c, false), validate: validateWebhooks, table: webhookTable },
  MutatingWebhookConfiguration: { write: (c) => defaultWebhooks(c, true), validate: validateWebhooks, table: webhookTable },
  ValidatingAdmissionPolicy: {
    generation: true,
    write: (policy) => {
      const s = child(policy, 'spec');
      s.failurePolicy ??= 'Fail';
      defaultMatchResources(s.matchConstraints);
    },
    validate: validatePolicy,
    table: [
      'name',
      { name: 'Validations', type: 'integer', cell: (o) => list(spec(o).validations).length },
      { name: 'ParamKind', cell: (o) => (spec(o).paramKind ? `${str(obj(spec(o).paramKind).apiVersion, '')}/${str(obj(spec(o).paramKind).kind, '')}` : '<unset>') },
      'age',
    ],
  },
  ValidatingAdmissionPolicyBinding: {
    generation: true,
    write: (binding) => defaultMatchResources(spec(binding).matchResources),
    validate: validateBinding,
    table: ['name', { name: 'PolicyName', cell: (o) => str(spec(o).policyName, '') }, { name: 'ParamRef', cell: (o) => (spec(o).paramRef ? str(obj(spec(o).paramRef).name, '*') : '<unset>') }, 'age'],
  },
  RuntimeClass: {
    validate: (rc) => (typeof rc.handler === 'string' && rc.handler ? nameErrors(rc.handler, 'label').map((msg) => invalid('handler', rc.handler, msg)) : [required('handler')]),
    table: ['name', { name: 'Handler', cell: (o) => str(o.handler, '') }, 'age'],
  },
};
