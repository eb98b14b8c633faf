/**
 * Storage kinds as upstream serves them: v1 PersistentVolume and PersistentVolumeClaim,
 * storage.k8s.io/v1 StorageClass, CSIDriver, CSINode and VolumeAttachment — defaults
 * (pkg/apis/core/v1 and storage/v1 defaults.go), validation of the main fields with upstream's
 * paths and messages, and printer columns. Pure.
 */
import { type KindSpec, atLeast, child, list, obj, required, spec, str, supported } from './kind-spec.js';
import type { StatusCause } from './status.js';
import type { KubeObject } from './storage.js';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const SHORT_MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
const modes = (v: unknown) => list(v).map((m) => SHORT_MODES[String(m)] ?? String(m)).join(',');
/** The volume sources a PersistentVolume may name (exactly one). */
const PV_SOURCES = ['gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc', 'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local', 'storageos', 'csi'];

function accessModeCauses(path: string, value: unknown, missing: string): StatusCause[] {
  const values = list(value) as unknown[];
  if (values.length === 0) return [required(path, missing)];
  return values.flatMap((m, i) => supported(`${path}[${i}]`, m, ACCESS_MODES).map((c) => ({ ...c, field: path })));
}

function validatePv(pv: KubeObject): StatusCause[] {
  const s = spec(pv);
  const causes = accessModeCauses('spec.accessModes', s.accessModes, '');
  if (obj(s.capacity).storage === undefined) causes.push(required('spec.capacity'));
  const sources = PV_SOURCES.filter((k) => s[k] !== undefined);
  if (sources.length === 0) causes.push(required('spec', 'must specify a volume type'));
  if (sources.length > 1) causes.push({ reason: 'FieldValueForbidden', field: `spec.${sources[1]}`, message: 'Forbidden: may not specify more than 1 volume type' });
  causes.push(...supported('spec.persistentVolumeReclaimPolicy', s.persistentVolumeReclaimPolicy, ['Delete', 'Recycle', 'Retain']));
  causes.push(...supported('spec.volumeMode', s.volumeMode, ['Block', 'Filesystem']));
  return causes;
}

function validatePvc(pvc: KubeObject): StatusCause[] {
  const s = spec(pvc);
  const causes = accessModeCauses('spec.accessModes', s.accessModes, 'at least 1 access mode is required');
  if (obj(obj(s.resources).requests).storage === undefined) causes.push(required('spec.resources[storage]'));
  causes.push(...supported('spec.volumeMode', s.volumeMode, ['Block', 'Filesystem']));
  return causes;
}

function validateStorageClass(sc: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (typeof sc.provisioner !== 'string' || sc.provisioner === '') causes.push(required('provisioner'));
  causes.push(...supported('reclaimPolicy', sc.reclaimPolicy, ['Delete', 'Retain']));
  causes.push(...supported('volumeBindingMode', sc.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
  return causes;
}

function validateCsiDriver(driver: KubeObject): StatusCause[] {
  const s = spec(driver);
  return [
    ...supported('spec.fsGroupPolicy', s.fsGroupPolicy, ['File', 'None', 'ReadWriteOnceWithFSType']),
    ...list(s.volumeLifecycleModes).flatMap((m, i) => supported(`spec.volumeLifecycleModes[${i}]`, m, ['Ephemeral', 'Persistent'])),
    ...list(s.tokenRequests).flatMap((t, i) => atLeast(`spec.tokenRequests[${i}].expirationSeconds`, t.expirationSeconds, 600)),
  ];
}

function validateCsiNode(node: KubeObject): StatusCause[] {
  return list(spec(node).drivers).flatMap((d, i) => [
    ...(d.name ? [] : [required(`spec.drivers[${i}].name`)]),
    ...(d.nodeID ? [] : [required(`spec.drivers[${i}].nodeID`)]),
  ]);
}

function validateVolumeAttachment(va: KubeObject): StatusCause[] {
  const s = spec(va);
  const source = obj(s.source);
  const causes: StatusCause[] = [];
  if (!s.attacher) causes.push(required('spec.attacher'));
  if (!s.nodeName) causes.push(required('spec.nodeName'));
  if ((source.persistentVolumeName === undefined) === (source.inlineVolumeSpec === undefined)) causes.push(required('spec.source', 'must specify exactly one of inlineVolumeSpec and persistentVolumeName'));
  return causes;
}

const defaultClass = (o: KubeObject) => ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'].some((a) => o.metadata?.annotations?.[a] === 'true');
const boolCell = (v: unknown) => (typeof v === 'boolean' ? v : false);

export const STORAGE_KINDS: Readonly<Record<string, KindSpec>> = {
  PersistentVolume: {
    create: (pv) => {
      child(pv, 'status').phase ??= 'Pending';
    },
    write: (pv) => {
      const s = child(pv, 'spec');
      s.persistentVolumeReclaimPolicy ??= 'Retain';
      s.volumeMode ??= 'Filesystem';
    },
    validate: validatePv,
    table: [
      'name',
      { name: 'Capacity', cell: (o) => str(obj(spec(o).capacity).storage, '') },
      { name: 'Access Modes', cell: (o) => modes(spec(o).accessModes) },
      { name: 'Reclaim Policy', cell: (o) => str(spec(o).persistentVolumeReclaimPolicy, '') },
      { name: 'Status', cell: (o) => str(obj(o.status).phase, '') },
      { name: 'Claim', cell: (o) => (spec(o).claimRef ? `${str(obj(spec(o).claimRef).namespace, '')}/${str(obj(spec(o).claimRef).name, '')}` : '') },
      { name: 'StorageClass', cell: (o) => str(spec(o).storageClassName, '') },
      { name: 'VolumeAttributesClass', cell: (o) => str(spec(o).volumeAttributesClassName, '<unset>') },
      { name: 'Reason', cell: (o) => str(obj(o.status).reason, '') },
      'age',
      { name: 'VolumeMode', wide: true, cell: (o) => str(spec(o).volumeMode, '') },
    ],
  },
  PersistentVolumeClaim: {
    create: (pvc) => {
      child(pvc, 'status').phase ??= 'Pending';
    },
    write: (pvc) => {
      child(pvc, 'spec').volumeMode ??= 'Filesystem';
    },
    validate: validatePvc,
    table: [
      'name',
      { name: 'Status', cell: (o) => str(obj(o.status).phase, '') },
      { name: 'Volume', cell: (o) => str(spec(o).volumeName, '') },
      { name: 'Capacity', cell: (o) => str(obj(obj(o.status).capacity).storage, '') },
      { name: 'Access Modes', cell: (o) => modes(obj(o.status).accessModes) },
      { name: 'StorageClass', cell: (o) => str(spec(o).storageClassName, '') },
      { name: 'VolumeAttributesClass', cell: (o) => str(spec(o).volumeAttributesClassName, '<unset>') },
      'age',
      { name: 'VolumeMode', wide: true, cell: (o) => str(spec(o).volumeMode, '') },
    ],
  },
  StorageClass: {
    write: (sc) => {
      sc.reclaimPolicy ??= 'Delete';
      sc.volumeBindingMode ??= 'Immediate';
    },
    validate: validateStorageClass,
    table: [
      { name: 'Name', cell: (o) => `${o.metadata?.name ?? ''}${defaultClass(o) ? ' (default)' : ''}` },
      { name: 'Provisioner', cell: (o) => str(o.provisioner, '') },
      { name: 'ReclaimPolicy', cell: (o) => str(o.reclaimPolicy, '') },
      { name: 'VolumeBindingMode', cell: (o) => str(o.volumeBindingMode, '') },
      { name: 'AllowVolumeExpansion', cell: (o) => boolCell(o.allowVolumeExpansion) },
      'age',
    ],
  },
  CSIDriver: {
    write: (driver) => {
      const s = child(driver, 'spec');
      s.attachRequired ??= true;
      s.podInfoOnMount ??= false;
      s.storageCapacity ??= false;
      s.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
      s.requiresRepublish ??= false;
      s.volumeLifecycleModes ??= ['Persistent'];
      s.seLinuxMount ??= false;
    },
    validate: validateCsiDriver,
    table: [
      'name',
      { name: 'AttachRequired', cell: (o) => boolCell(spec(o).attachRequired) },
      { name: 'PodInfoOnMount', cell: (o) => boolCell(spec(o).podInfoOnMount) },
      { name: 'StorageCapacity', cell: (o) => boolCell(spec(o).storageCapacity) },
      { name: 'TokenRequests', cell: (o) => list(spec(o).tokenRequests).map((t) => String(t.audience)).join(',') || '<unset>' },
      { name: 'RequiresRepublish', cell: (o) => boolCell(spec(o).requiresRepublish) },
      { name: 'Modes', cell: (o) => list(spec(o).volumeLifecycleModes).map(String).join(',') || '<none>' },
      'age',
    ],
  },
  CSINode: {
    validate: validateCsiNode,
    table: ['name', { name: 'Drivers', type: 'integer', cell: (o) => list(spec(o).drivers).length }, 'age'],
  },
  VolumeAttachment: {
    validate: validateVolumeAttachment,
    table: [
      'name',
      { name: 'Attacher', cell: (o) => str(spec(o).attacher, '') },
      { name: 'PV', cell: (o) => str(obj(spec(o).source).persistentVolumeName, '') },
      { name: 'Node', cell: (o) => str(spec(o).nodeName, '') },
      { name: 'Attached', cell: (o) => boolCell(obj(o.status).attached) },
      'age',
    ],
  },
};
