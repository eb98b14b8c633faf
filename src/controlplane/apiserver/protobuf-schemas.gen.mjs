#!/usr/bin/env node
// Regenerates protobuf-schemas.ts (last from k8s.io/api v0.35.7, the newest tested client): the wire-format table (field number → JSON name, type,
// repeated, whether a zero value is kept) of every message reachable from the kinds the API
// server decodes from protobuf. Input: a checkout of k8s.io/api (github.com/kubernetes/api);
// each package's generated.proto gives numbers and types, its types.go gives what JSON does
// with zero values (pointer fields and fields without omitempty keep them).
//   node src/controlplane/apiserver/protobuf-schemas.gen.mjs /path/to/kubernetes/api > src/controlplane/apiserver/protobuf-schemas.ts
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = process.argv[2];
if (!root) throw new Error('usage: protobuf-schemas.gen.mjs <kubernetes/api checkout>');

/** Package directory → the apiVersion of its kinds. */
const PACKAGES = {
  'core/v1': 'v1', 'apps/v1': 'apps/v1', 'rbac/v1': 'rbac.authorization.k8s.io/v1', 'scheduling/v1': 'scheduling.k8s.io/v1',
  'autoscaling/v1': 'autoscaling/v1', 'coordination/v1': 'coordination.k8s.io/v1', 'events/v1': 'events.k8s.io/v1',
  'certificates/v1': 'certificates.k8s.io/v1', 'authorization/v1': 'authorization.k8s.io/v1', 'authentication/v1': 'authentication.k8s.io/v1',
  'batch/v1': 'batch/v1', 'policy/v1': 'policy/v1',
  'autoscaling/v2': 'autoscaling/v2', 'storage/v1': 'storage.k8s.io/v1', 'networking/v1': 'networking.k8s.io/v1',
  'admissionregistration/v1': 'admissionregistration.k8s.io/v1', 'node/v1': 'node.k8s.io/v1',
  'discovery/v1': 'discovery.k8s.io/v1',
};
/** Kinds decoded from request bodies (the roots of the closure). */
const ROOTS = {
  'core/v1': ['Namespace', 'ConfigMap', 'Secret', 'ServiceAccount', 'Node', 'Event', 'Pod', 'Service', 'Endpoints', 'Binding', 'PersistentVolume', 'PersistentVolumeClaim', 'ResourceQuota', 'LimitRange', 'PodTemplate', 'ReplicationController'],
  'apps/v1': ['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'ControllerRevision'],
  'rbac/v1': ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
  'scheduling/v1': ['PriorityClass'],
  'autoscaling/v1': ['Scale', 'HorizontalPodAutoscaler'],
  'coordination/v1': ['Lease'],
  'events/v1': ['Event'],
  'certificates/v1': ['CertificateSigningRequest'],
  'authorization/v1': ['SelfSubjectAccessReview', 'SubjectAccessReview', 'SelfSubjectRulesReview', 'LocalSubjectAccessReview'],
  'batch/v1': ['Job', 'CronJob'],
  'policy/v1': ['PodDisruptionBudget', 'Eviction'],
  'discovery/v1': ['EndpointSlice'],
  'authentication/v1': ['TokenRequest', 'SelfSubjectReview', 'TokenReview'],
  'autoscaling/v2': ['HorizontalPodAutoscaler'],
  'storage/v1': ['StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment'],
  'networking/v1': ['Ingress', 'IngressClass', 'NetworkPolicy'],
  'admissionregistration/v1': ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'],
  'node/v1': ['RuntimeClass'],
};
/** apimachinery messages the decoder knows natively (protobuf.ts). */
const EXTERNAL = {
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': 't', 'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'T',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration': 'D', 'k8s.io.apimachinery.pkg.api.resource.Quantity': 'q',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'x', 'k8s.io.apimachinery.pkg.runtime.RawExtension': 'r',
};
/** meta/v1 messages protobuf.ts defines by hand. */
const META = ['ObjectMeta', 'ListMeta', 'LabelSelector', 'LabelSelectorRequirement', 'OwnerReference', 'Condition', 'FieldSelectorRequirement', 'DeleteOptions', 'Preconditions'];
for (const name of META) EXTERNAL[`k8s.io.apimachinery.pkg.apis.meta.v1.${name}`] = `m:meta.${name}`;
const SCALARS = { string: 's', bytes: 'b', int32: 'i', int64: 'i', uint32: 'i', uint64: 'i', bool: 'B', double: 'd', float: 'f' };

const protoPackage = {};
const messages = new Map();
for (const pkg of Object.keys(PACKAGES)) {
  const proto = readFileSync(path.join(root, pkg, 'generated.proto'), 'utf8');
  protoPackage[/^package ([\w.]+);/m.exec(proto)[1]] = pkg;
  const { kept: zeroKept, inline } = goFieldFacts(readFileSync(path.join(root, pkg, 'types.go'), 'utf8'));
  for (const m of proto.matchAll(/^message (\w+) \{\n([\s\S]*?)^\}/gm)) {
    const fields = [];
    for (const f of m[2].matchAll(/^ {2}(optional|repeated|map<(\w+), ([\w.]+)>) ?([\w.]*) (\w+) = (\d+);/gm)) {
      const [, label, , mapValue, type, name, number] = f;
      // An embedded struct (json:",inline") has its fields in the parent's JSON: marked ^.
      fields.push({ number: Number(number), name: inline.has(`${m[1]}.${number}`) ? `^${name}` : name, type: mapValue ?? type, repeated: label === 'repeated', map: mapValue !== undefined, keep: zeroKept.get(`${m[1]}.${number}`) ?? false });
    }
    messages.set(`${pkg}.${m[1]}`, { pkg, fields });
  }
}

/**
 * `<Struct>.<field number>` → true when JSON keeps the field's zero value (pointer or no
 * omitempty); and the set of embedded fields whose JSON is inline.
 */
function goFieldFacts(source) {
  const kept = new Map();
  const inline = new Set();
  for (const s of source.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
    for (const line of s[2].split('\n')) {
      const f = /^\s*(?:\w+\s+)?(\*?)[\w.[\]*]+\s+`json:"([^"]*)" protobuf:"\w+,(\d+),/.exec(line);
      if (!f || line.trim().startsWith('//')) continue;
      kept.set(`${s[1]}.${f[3]}`, f[1] === '*' || !f[2].includes('omitempty'));
      if (f[2] === ',inline') inline.add(`${s[1]}.${f[3]}`);
    }
  }
  return { kept, inline };
}

function resolve(type, pkg) {
  if (SCALARS[type]) return SCALARS[type];
  const qualified = type.startsWith('.') ? type.slice(1) : undefined;
  if (qualified && EXTERNAL[qualified]) return EXTERNAL[qualified];
  if (!qualified) return `m:${pkg}.${type}`;
  const at = qualified.lastIndexOf('.');
  const owner = protoPackage[qualified.slice(0, at)];
  if (!owner) throw new Error(`unknown message ${qualified}`);
  return `m:${owner}.${qualified.slice(at + 1)}`;
}

const out = new Map();
// A key may carry a trailing space: a second row of a package's kinds (rows added apart merge apart).
const queue = Object.entries(ROOTS).flatMap(([pkg, kinds]) => kinds.map((k) => `${pkg}.${k}`));
while (queue.length > 0) {
  const key = queue.shift();
  if (out.has(key)) continue;
  const message = messages.get(key);
  if (!message) throw new Error(`missing message ${key}`);
  const encoded = message.fields.map((f) => {
    const type = resolve(f.type, message.pkg);
    if (type.startsWith('m:') && !type.startsWith('m:meta.')) queue.push(type.slice(2));
    return `${f.number} ${f.name} ${f.map ? `M${type}` : type}${f.repeated ? '*' : ''}${f.keep ? '!' : ''}`;
  });
  out.set(key, encoded.join(';'));
}

const lines = [...out].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  '${k}': '${v}',`);
process.stdout.write(`/**
 * GENERATED by protobuf-schemas.gen.mjs from k8s.io/api generated.proto + types.go; do not edit.
 * Each message: \`<number> <jsonName> <type>[*][!]\` joined by ';'. Types: s string, b bytes,
 * i integer, B bool, d/f float, t Time, T MicroTime, D Duration, q Quantity, x IntOrString,
 * r RawExtension, m:<message>, M<type> map with string keys. * repeated, ! zero value kept;
 * a name starting with ^ is an embedded message whose fields are the parent's (json inline).
 */
export const GENERATED_SCHEMAS: Readonly<Record<string, string>> = {
${lines.join('\n')}
};

/** apiVersion → package of the table above. */
export const PACKAGE_OF_API_VERSION: Readonly<Record<string, string>> = ${JSON.stringify(Object.fromEntries(Object.entries(PACKAGES).map(([p, v]) => [v, p])))};
`);
