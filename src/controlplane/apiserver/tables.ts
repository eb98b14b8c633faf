/**
 * Server-side Table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`) with
 * upstream's printer columns per kind, so `kubectl get` prints what it prints against a real
 * cluster (priority-1 columns appear with `-o wide`). One column list per kind; kinds without
 * one get upstream's default (Name, Created At). Pure: `now` is passed in.
 */
import { groupVersion, type ResourceType } from './resources.js';
import type { KubeObject } from './storage.js';
import { selectorString } from './subresources.js';
import { valueAtPath } from './custom-resources.js';
import { moreKind } from './more-kinds.js';

type Obj = Record<string, unknown>;
type Cell = string | number | boolean;

interface Column {
  name: string;
  type?: 'string' | 'integer' | 'date';
  wide?: boolean;
  cell: (o: KubeObject, now: number) => Cell;
}

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const str = (v: unknown, none = '<none>'): string => (v === undefined || v === null || v === '' ? none : String(v));
const spec = (o: KubeObject) => obj(o.spec);
const status = (o: KubeObject) => obj(o.status);
const int = (v: unknown) => Number(v ?? 0) || 0;

/** Upstream's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

const since = (timestamp: unknown, now: number): string => (typeof timestamp === 'string' && timestamp ? humanDuration(now - Date.parse(timestamp)) : '<unknown>');
const name: Column = { name: 'Name', cell: (o) => o.metadata?.name ?? '' };
const age: Column = { name: 'Age', cell: (o, now) => since(o.metadata?.creationTimestamp, now) };
const createdAt: Column = { name: 'Created At', type: 'date', cell: (o) => o.metadata?.creationTimestamp ?? '' };
const count = (field: string, ...more: string[]): Column['cell'] => (o) => [field, ...more].reduce((n, f) => n + Object.keys(obj(o[f])).length, 0);

function containersOf(o: KubeObject): Obj[] {
  return list(obj(obj(spec(o).template).spec).containers);
}
const workloadWide: Column[] = [
  { name: 'Containers', wide: true, cell: (o) => containersOf(o).map((c) => String(c.name)).join(',') },
  { name: 'Images', wide: true, cell: (o) => containersOf(o).map((c) => String(c.image)).join(',') },
  { name: 'Selector', wide: true, cell: (o) => str(selectorString(spec(o).selector)) },
];

function nodeStatus(o: KubeObject): string {
  const ready = list(status(o).conditions).find((c) => c.type === 'Ready');
  const base = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  return spec(o).unschedulable ? `${base},SchedulingDisabled` : base;
}

function nodeRoles(o: KubeObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(o.metadata?.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) roles.add(key.slice('node-role.kubernetes.io/'.length));
    else if (key === 'kubernetes.io/role' && value) roles.add(value);
  }
  return roles.size > 0 ? [...roles].sort().join(',') : '<none>';
}

const nodeAddress = (type: string) => (o: KubeObject) => str(list(status(o).addresses).find((a) => a.type === type)?.address);
const nodeInfo = (field: string) => (o: KubeObject) => str(obj(status(o).nodeInfo)[field], '<unknown>');

/** READY, STATUS and RESTARTS of a pod, as upstream's printPod. */
function podSummary(o: KubeObject, now: number): { ready: string; reason: string; restarts: string } {
  const st = status(o);
  const containers = list(spec(o).containers);
  let reason = str(st.reason, '') || str(st.phase, '');
  let restarts = 0;
  let ready = 0;
  let lastRestart = 0;
  const noteRestart = (c: Obj) => {
    restarts += int(c.restartCount);
    const finished = obj(obj(c.lastState).terminated).finishedAt;
    if (typeof finished === 'string') lastRestart = Math.max(lastRestart, Date.parse(finished));
  };
  let initializing = false;
  const inits = list(st.initContainerStatuses);
  for (const [i, c] of inits.entries()) {
    noteRestart(c);
    const terminated = obj(obj(c.state).terminated);
    const waiting = obj(obj(c.state).waiting);
    if (obj(c.state).terminated && int(terminated.exitCode) === 0) continue;
    if (obj(c.state).terminated) reason = `Init:${str(terminated.reason, '') || (terminated.signal ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`)}`;
    else if (waiting.reason && waiting.reason !== 'PodInitializing') reason = `Init:${String(waiting.reason)}`;
    else reason = `Init:${i}/${list(spec(o).initContainers).length}`;
    initializing = true;
    break;
  }
  if (!initializing) {
    restarts = 0;
    let running = false;
    for (const c of list(st.containerStatuses).reverse()) {
      noteRestart(c);
      const state = obj(c.state);
      const waiting = obj(state.waiting);
      const terminated = obj(state.terminated);
      if (waiting.reason) reason = String(waiting.reason);
      else if (terminated.reason) reason = String(terminated.reason);
      else if (state.terminated) reason = terminated.signal ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`;
      else if (c.ready && state.running) {
        running = true;
        ready++;
      }
    }
    if (reason === 'Completed' && running) reason = list(st.conditions).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  }
  if (o.metadata?.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  const restartText = restarts > 0 && lastRestart > 0 ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts);
  return { ready: `${ready}/${containers.length}`, reason, restarts: restartText };
}

function servicePorts(o: KubeObject): string {
  const ports = list(spec(o).ports).map((p) => `${int(p.port)}${p.nodePort ? `:${int(p.nodePort)}` : ''}/${str(p.protocol, 'TCP')}`);
  return ports.length > 0 ? ports.join(',') : '<none>';
}

function serviceExternalIp(o: KubeObject): string {
  const s = spec(o);
  if (s.type === 'ExternalName') return str(s.externalName);
  const ingress = list(obj(status(o).loadBalancer).ingress).map((i) => String(i.ip ?? i.hostname));
  const external = [...list(s.externalIPs).map(String), ...ingress];
  if (s.type === 'LoadBalancer' && external.length === 0) return '<pending>';
  return external.length > 0 ? external.join(',') : '<none>';
}

function csrCondition(o: KubeObject): string {
  const types = list(status(o).conditions).filter((c) => c.status === undefined || c.status === 'True').map((c) => String(c.type));
  const shown = ['Approved', 'Denied', 'Failed'].filter((t) => types.includes(t));
  if (status(o).certificate) shown.push('Issued');
  return shown.length > 0 ? shown.join(',') : 'Pending';
}

function seconds(value: unknown): string {
  if (typeof value !== 'number') return '<none>';
  return humanDuration(value * 1000);
}

/** Core and events.k8s.io Events share columns; the fields differ. */
const firstThree = (items: string[], none = '<unset>'): string => (items.length === 0 ? none : items.length > 3 ? `${items.slice(0, 3).join(',')} + ${items.length - 3} more...` : items.join(','));
const ev = (o: KubeObject) => ({
  object: obj(o.involvedObject ?? o.regarding),
  source: o.source ? `${str(obj(o.source).component, '')}${obj(o.source).host ? `, ${String(obj(o.source).host)}` : ''}` : str(o.reportingController, ''),
  first: o.firstTimestamp ?? o.deprecatedFirstTimestamp ?? o.eventTime,
  last: o.lastTimestamp ?? o.deprecatedLastTimestamp ?? obj(o.series).lastObservedTime ?? o.eventTime ?? o.firstTimestamp,
  count: int(o.count ?? o.deprecatedCount ?? obj(o.series).count ?? 1),
  message: str(o.message ?? o.note, ''),
});
const subjectsOf = (kind: string) => (o: KubeObject) => (list(o.subjects).filter((s) => s.kind === kind).map((s) => (kind === 'ServiceAccount' ? `${str(s.namespace, '')}/${String(s.name)}` : String(s.name))).join(', '));
const bindingColumns: Column[] = [
  name,
  { name: 'Role', cell: (o) => `${String(obj(o.roleRef).kind)}/${String(obj(o.roleRef).name)}` },
  age,
  { name: 'Users', wide: true, cell: subjectsOf('User') },
  { name: 'Groups', wide: true, cell: subjectsOf('Group') },
  { name: 'ServiceAccounts', wide: true, cell: subjectsOf('ServiceAccount') },
];

/** printJob's Status column: the first condition that holds, else Running. */
function jobStatus(o: KubeObject): string {
  const holds = (type: string) => list(status(o).conditions).some((c) => c.type === type && c.status === 'True');
  if (holds('Complete')) return 'Complete';
  if (holds('Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (holds('Suspended')) return 'Suspended';
  if (holds('FailureTarget')) return 'FailureTarget';
  if (holds('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

const TABLES: Record<string, Column[]> = {
  Namespace: [name, { name: 'Status', cell: (o) => str(status(o).phase, '') }, age],
  ConfigMap: [name, { name: 'Data', type: 'integer', cell: count('data', 'binaryData') }, age],
  Secret: [name, { name: 'Type', cell: (o) => str(o.type, '') }, { name: 'Data', type: 'integer', cell: count('data') }, age],
  ServiceAccount: [name, { name: 'Secrets', type: 'integer', cell: (o) => list(o.secrets).length }, age],
  Node: [
    name,
    { name: 'Status', cell: nodeStatus },
    { name: 'Roles', cell: nodeRoles },
    age,
    { name: 'Version', cell: (o) => str(obj(status(o).nodeInfo).kubeletVersion, '') },
    { name: 'Internal-IP', wide: true, cell: nodeAddress('InternalIP') },
    { name: 'External-IP', wide: true, cell: nodeAddress('ExternalIP') },
    { name: 'OS-Image', wide: true, cell: nodeInfo('osImage') },
    { name: 'Kernel-Version', wide: true, cell: nodeInfo('kernelVersion') },
    { name: 'Container-Runtime', wide: true, cell: nodeInfo('containerRuntimeVersion') },
  ],
  Pod: [
    name,
    { name: 'Ready', cell: (o, now) => podSummary(o, now).ready },
    { name: 'Status', cell: (o, now) => podSummary(o, now).reason },
    { name: 'Restarts', cell: (o, now) => podSummary(o, now).restarts },
    age,
    { name: 'IP', wide: true, cell: (o) => str(status(o).podIP) },
    { name: 'Node', wide: true, cell: (o) => str(spec(o).nodeName) },
    { name: 'Nominated Node', wide: true, cell: (o) => str(status(o).nominatedNodeName) },
    {
      name: 'Readiness Gates',
      wide: true,
      cell: (o) => {
        const gates = list(spec(o).readinessGates);
        if (gates.length === 0) return '<none>';
        const met = gates.filter((g) => list(status(o).conditions).some((c) => c.type === g.conditionType && c.status === 'True')).length;
        return `${met}/${gates.length}`;
      },
    },
  ],
  Service: [
    name,
    { name: 'Type', cell: (o) => str(spec(o).type, '') },
    { name: 'Cluster-IP', cell: (o) => str(spec(o).clusterIP) },
    { name: 'External-IP', cell: serviceExternalIp },
    { name: 'Port(s)', cell: servicePorts },
    age,
    { name: 'Selector', wide: true, cell: (o) => str(Object.entries(obj(spec(o).selector)).map(([k, v]) => `${k}=${String(v)}`).sort().join(',')) },
  ],
  Endpoints: [
    name,
    {
      name: 'Endpoints',
      cell: (o) => {
        const eps = list(o.subsets).flatMap((s) => list(s.addresses).flatMap((a) => (list(s.ports).length > 0 ? list(s.ports).map((p) => `${String(a.ip)}:${int(p.port)}`) : [String(a.ip)])));
        return firstThree(eps, '<none>');
      },
    },
    age,
  ],
  // upstream's printEndpointSlice: ports and addresses, three at most then "+ N more...".
  EndpointSlice: [
    name,
    { name: 'AddressType', cell: (o) => str(o.addressType) },
    { name: 'Ports', cell: (o) => firstThree(list(o.ports).map((p) => (p.port === undefined || p.port === null ? '<unset>' : String(int(p.port))))) },
    { name: 'Endpoints', cell: (o) => firstThree(list(o.endpoints).flatMap((e) => list(e.addresses).map(String))) },
    age,
  ],
  Event: [
    { name: 'Last Seen', cell: (o, now) => since(ev(o).last, now) },
    { name: 'Type', cell: (o) => str(o.type, '') },
    { name: 'Reason', cell: (o) => str(o.reason, '') },
    { name: 'Object', cell: (o) => `${String(ev(o).object.kind ?? '').toLowerCase()}/${String(ev(o).object.name ?? '')}` },
    { name: 'Subobject', wide: true, cell: (o) => str(ev(o).object.fieldPath, '') },
    { name: 'Source', wide: true, cell: (o) => ev(o).source },
    { name: 'Message', cell: (o) => ev(o).message },
    { name: 'First Seen', wide: true, cell: (o, now) => since(ev(o).first, now) },
    { name: 'Count', wide: true, type: 'integer', cell: (o) => ev(o).count },
    { name: 'Name', wide: true, cell: (o) => o.metadata?.name ?? '' },
  ],
  Lease: [name, { name: 'Holder', cell: (o) => str(spec(o).holderIdentity, '') }, age],
  CertificateSigningRequest: [
    name,
    age,
    { name: 'SignerName', cell: (o) => str(spec(o).signerName, '') },
    { name: 'Requestor', cell: (o) => str(spec(o).username, '') },
    { name: 'RequestedDuration', cell: (o) => seconds(spec(o).expirationSeconds) },
    { name: 'Condition', cell: csrCondition },
  ],
  ClusterRole: [name, createdAt],
  Role: [name, createdAt],
  ClusterRoleBinding: bindingColumns,
  RoleBinding: bindingColumns,
  Deployment: [
    name,
    { name: 'Ready', cell: (o) => `${int(status(o).readyReplicas)}/${int(spec(o).replicas ?? 1)}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => int(status(o).updatedReplicas) },
    { name: 'Available', type: 'integer', cell: (o) => int(status(o).availableReplicas) },
    age,
    ...workloadWide,
  ],
  Job: [
    name,
    { name: 'Status', cell: jobStatus },
    { name: 'Completions', cell: (o) => (spec(o).completions === undefined ? `${int(status(o).succeeded)}/1 of ${int(spec(o).parallelism ?? 1)}` : `${int(status(o).succeeded)}/${int(spec(o).completions)}`) },
    { name: 'Duration', cell: (o, now) => (status(o).startTime ? humanDuration((status(o).completionTime ? Date.parse(String(status(o).completionTime)) : now) - Date.parse(String(status(o).startTime))) : '') },
    age,
    ...workloadWide,
  ],
  PodDisruptionBudget: [
    name,
    { name: 'Min Available', cell: (o) => (spec(o).minAvailable === undefined ? 'N/A' : String(spec(o).minAvailable)) },
    { name: 'Max Unavailable', cell: (o) => (spec(o).maxUnavailable === undefined ? 'N/A' : String(spec(o).maxUnavailable)) },
    { name: 'Allowed Disruptions', type: 'integer', cell: (o) => int(status(o).disruptionsAllowed) },
    age,
  ],
  CronJob: [
    name,
    { name: 'Schedule', cell: (o) => str(spec(o).schedule, '') },
    { name: 'Timezone', cell: (o) => str(spec(o).timeZone) },
    { name: 'Suspend', cell: (o) => (spec(o).suspend ? 'True' : 'False') },
    { name: 'Active', type: 'integer', cell: (o) => list(status(o).active).length },
    { name: 'Last Schedule', cell: (o, now) => (status(o).lastScheduleTime ? since(status(o).lastScheduleTime, now) : '<none>') },
    age,
  ],
  ReplicaSet: [
    name,
    { name: 'Desired', type: 'integer', cell: (o) => int(spec(o).replicas ?? 1) },
    { name: 'Current', type: 'integer', cell: (o) => int(status(o).replicas) },
    { name: 'Ready', type: 'integer', cell: (o) => int(status(o).readyReplicas) },
    age,
    ...workloadWide,
  ],
  DaemonSet: [
    name,
    { name: 'Desired', type: 'integer', cell: (o) => int(status(o).desiredNumberScheduled) },
    { name: 'Current', type: 'integer', cell: (o) => int(status(o).currentNumberScheduled) },
    { name: 'Ready', type: 'integer', cell: (o) => int(status(o).numberReady) },
    { name: 'Up-to-date', type: 'integer', cell: (o) => int(status(o).updatedNumberScheduled) },
    { name: 'Available', type: 'integer', cell: (o) => int(status(o).numberAvailable) },
    { name: 'Node Selector', cell: (o) => str(Object.entries(obj(obj(obj(spec(o).template).spec).nodeSelector)).map(([k, v]) => `${k}=${String(v)}`).join(',')) },
    age,
    ...workloadWide,
  ],
  StatefulSet: [
    name,
    { name: 'Ready', cell: (o) => `${int(status(o).readyReplicas)}/${int(spec(o).replicas ?? 1)}` },
    age,
    ...workloadWide.filter((c) => c.name !== 'Selector'),
  ],
  ControllerRevision: [
    name,
    { name: 'Controller', cell: (o) => { const owner = list(o.metadata?.ownerReferences).find((r) => r.controller); return owner ? `${String(owner.kind).toLowerCase()}.${String(owner.apiVersion).split('/')[0]}/${String(owner.name)}` : '<none>'; } },
    { name: 'Revision', type: 'integer', cell: (o) => int(o.revision) },
    age,
  ],
  PriorityClass: [
    name,
    { name: 'Value', type: 'integer', cell: (o) => int(o.value) },
    { name: 'Global-Default', cell: (o) => Boolean(o.globalDefault) },
    age,
    { name: 'PreemptionPolicy', cell: (o) => str(o.preemptionPolicy, '') },
  ],
};

/** Whether an Accept header asks for a meta.k8s.io/v1 Table. */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const params = new Map(range.split(';').slice(1).map((p) => p.trim().split('=') as [string, string]));
    return params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io' && params.get('v') === 'v1';
  });
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(type: ResourceType, o: KubeObject, include: IncludeObject): KubeObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return { ...o, kind: type.kind, apiVersion: groupVersion(type) };
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} };
}

/** An object or a list as a meta.k8s.io/v1 Table. */
/** A custom resource's additionalPrinterColumns after Name; without any, upstream's Age. */
function customColumns(custom: NonNullable<ResourceType['custom']>): Column[] {
  if (custom.columns.length === 0) return [name, age];
  return [name, ...custom.columns.map((c): Column => ({
    name: c.name,
    type: c.type === 'integer' ? 'integer' : c.type === 'date' ? 'date' : 'string',
    wide: (c.priority ?? 0) > 0,
    cell: (o, now) => {
      const value = valueAtPath(o, c.jsonPath);
      if (value === undefined || value === null) return '<none>';
      if (c.type === 'date') return since(value, now);
      return typeof value === 'object' ? JSON.stringify(value) : (value as Cell);
    },
  }))];
}

export function toTable(type: ResourceType, body: KubeObject, include: IncludeObject, now: number): KubeObject {
  const more = moreKind(type.kind)?.table?.map((c) => (c === 'name' ? name : c === 'age' ? age : c));
  const columns = type.custom ? customColumns(type.custom) : (TABLES[type.kind] ?? more ?? [name, createdAt]);
  const items = Array.isArray(body.items) ? (body.items as KubeObject[]) : [body];
  const listMeta = obj(Array.isArray(body.items) ? body.metadata : {});
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: String((Array.isArray(body.items) ? listMeta.resourceVersion : body.metadata?.resourceVersion) ?? ''), ...(listMeta.continue ? { continue: listMeta.continue, remainingItemCount: listMeta.remainingItemCount } : {}) },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type ?? 'string',
      format: c === name ? 'name' : '',
      description: c === name ? 'Name must be unique within a namespace.' : c === age ? 'CreationTimestamp is a timestamp representing the server time when this object was created.' : c.name,
      priority: c.wide ? 1 : 0,
    })),
    rows: items.map((item) => {
      const object = rowObject(type, item, include);
      return { cells: columns.map((c) => c.cell(item, now)), ...(object ? { object } : {}) };
    }),
  };
}
