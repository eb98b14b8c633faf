/**
 * networking.k8s.io/v1 Ingress, IngressClass and NetworkPolicy as upstream serves them:
 * defaults (NetworkPolicy policyTypes and port protocols), validation of the main fields with
 * upstream's paths and messages (pkg/apis/networking/validation), and printer columns. Pure.
 */
import { type KindSpec, child, invalid, list, obj, required, spec, str, supported } from './kind-spec.js';
import type { StatusCause } from './status.js';
import type { KubeObject } from './storage.js';
import { selectorString } from './subresources.js';
import { nameErrors } from './validation.js';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

function backendCauses(backend: unknown, path: string): StatusCause[] {
  const b = obj(backend);
  if (b.service === undefined && b.resource === undefined) return [{ reason: 'FieldValueInvalid', field: path, message: 'Invalid value: "": resource or service must be specified' }];
  if (b.service !== undefined && b.resource !== undefined) return [{ reason: 'FieldValueInvalid', field: path, message: 'Invalid value: "": cannot set both resource and service backends' }];
  if (b.resource !== undefined) return obj(b.resource).kind ? [] : [required(`${path}.resource.kind`)];
  const service = obj(b.service);
  const port = obj(service.port);
  const causes: StatusCause[] = [];
  if (!service.name) causes.push(required(`${path}.service.name`));
  if (!port.name && !port.number) causes.push(required(`${path}.service.port`, 'port name or number is required'));
  if (port.name && port.number) causes.push(invalid(`${path}.service.port`, port, 'cannot set both port name & port number'));
  return causes;
}

function validateIngress(ingress: KubeObject): StatusCause[] {
  const s = spec(ingress);
  const rules = list(s.rules);
  const causes: StatusCause[] = [];
  if (s.defaultBackend === undefined && rules.length === 0) causes.push({ reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "": either `defaultBackend` or `rules` must be specified' });
  if (s.defaultBackend !== undefined) causes.push(...backendCauses(s.defaultBackend, 'spec.defaultBackend'));
  rules.forEach((rule, i) => {
    const at = `spec.rules[${i}]`;
    const host = typeof rule.host === 'string' ? rule.host : '';
    if (host) for (const msg of nameErrors(host.replace(/^\*\./, ''), 'subdomain')) causes.push(invalid(`${at}.host`, host, msg));
    if (rule.http === undefined) return;
    const paths = list(obj(rule.http).paths);
    if (paths.length === 0) causes.push(required(`${at}.http.paths`));
    paths.forEach((p, j) => {
      const pathAt = `${at}.http.paths[${j}]`;
      if (p.pathType === undefined) causes.push(required(`${pathAt}.pathType`, 'pathType must be specified'));
      causes.push(...supported(`${pathAt}.pathType`, p.pathType, PATH_TYPES));
      if ((p.pathType === 'Exact' || p.pathType === 'Prefix') && !String(p.path ?? '').startsWith('/')) causes.push(invalid(`${pathAt}.path`, p.path ?? '', 'must be an absolute path'));
      causes.push(...backendCauses(p.backend, `${pathAt}.backend`));
    });
  });
  return causes;
}

function validateIngressClass(ingressClass: KubeObject): StatusCause[] {
  const controller = spec(ingressClass).controller;
  if (typeof controller !== 'string' || controller === '') return [required('spec.controller')];
  return controller.length > 250 ? [{ reason: 'FieldValueTooLong', field: 'spec.controller', message: 'Too long: may not be more than 250 bytes' }] : [];
}

function validateNetworkPolicy(policy: KubeObject): StatusCause[] {
  const s = spec(policy);
  const causes = list(s.policyTypes).flatMap((t, i) => supported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']));
  if (list(s.policyTypes).length > 2) causes.push({ reason: 'FieldValueInvalid', field: 'spec.policyTypes', message: `Invalid value: ${JSON.stringify(s.policyTypes)}: may not have more than 2 values` });
  for (const [direction, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
    list(s[direction]).forEach((rule, i) => {
      list(rule[peers]).forEach((peer, j) => {
        const block = peer.ipBlock;
        if (block !== undefined && !obj(block).cidr) causes.push(required(`spec.${direction}[${i}].${peers}[${j}].ipBlock.cidr`));
      });
      list(rule.ports).forEach((port, j) => causes.push(...supported(`spec.${direction}[${i}].ports[${j}].protocol`, port.protocol, ['SCTP', 'TCP', 'UDP'])));
    });
  }
  return causes;
}

function ingressAddress(o: KubeObject): string {
  const ingress = list(obj(obj(o.status).loadBalancer).ingress);
  return ingress.map((i) => String(i.ip ?? i.hostname ?? '')).filter(Boolean).join(',');
}

export const NETWORK_KINDS: Readonly<Record<string, KindSpec>> = {
  Ingress: {
    generation: true,
    validate: validateIngress,
    table: [
      'name',
      { name: 'Class', cell: (o) => str(spec(o).ingressClassName) },
      { name: 'Hosts', cell: (o) => list(spec(o).rules).map((r) => str(r.host, '*')).join(',') || '*' },
      { name: 'Address', cell: ingressAddress },
      { name: 'Ports', cell: (o) => (list(spec(o).tls).length > 0 ? '80, 443' : '80') },
      'age',
    ],
  },
  IngressClass: {
    validate: validateIngressClass,
    table: [
      'name',
      { name: 'Controller', cell: (o) => str(spec(o).controller, '') },
      { name: 'Parameters', cell: (o) => (spec(o).parameters ? `${str(obj(spec(o).parameters).kind, '')}/${str(obj(spec(o).parameters).name, '')}` : '<none>') },
      'age',
    ],
  },
  NetworkPolicy: {
    generation: true,
    write: (policy) => {
      const s = child(policy, 'spec');
      child(s, 'podSelector');
      for (const direction of ['ingress', 'egress']) for (const rule of list(s[direction])) for (const port of list(rule.ports)) port.protocol ??= 'TCP';
      s.policyTypes ??= ['Ingress', ...(list(s.egress).length > 0 ? ['Egress'] : [])];
    },
    validate: validateNetworkPolicy,
    table: ['name', { name: 'Pod-Selector', cell: (o) => selectorString(spec(o).podSelector) || '<none>' }, 'age'],
  },
};
