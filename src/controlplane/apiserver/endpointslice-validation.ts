/**
 * discovery.k8s.io/v1 EndpointSlice validation (pkg/apis/discovery/validation): the address
 * type, 1-100 addresses per endpoint in that family, at most 1000 endpoints and 100 ports, port
 * names unique DNS labels, protocols and port numbers in range. Pure; returns Status causes.
 */
import { isIP } from 'node:net';
import type { StatusCause } from './status.js';
import type { KubeObject } from './storage.js';
import { nameErrors } from './validation.js';

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const FQDN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const invalid = (field: string, message: string, reason = 'FieldValueInvalid'): StatusCause => ({ reason, message, field });
const list = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? (v as Array<Record<string, unknown>>) : []);

function addressErrors(addressType: string, address: unknown): string | undefined {
  const text = String(address);
  if (addressType === 'IPv4') return isIP(text) === 4 ? undefined : 'must be a valid IPv4 address';
  if (addressType === 'IPv6') return isIP(text) === 6 ? undefined : 'must be a valid IPv6 address';
  return FQDN.test(text) ? undefined : 'must be a valid FQDN';
}

export function validateEndpointSlice(slice: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const addressType = slice.addressType;
  if (addressType === undefined || addressType === '') causes.push(invalid('addressType', 'Required value', 'FieldValueRequired'));
  else if (typeof addressType !== 'string' || !ADDRESS_TYPES.includes(addressType)) causes.push(invalid('addressType', `Unsupported value: ${JSON.stringify(addressType)}: supported values: "FQDN", "IPv4", "IPv6"`, 'FieldValueNotSupported'));
  const endpoints = list(slice.endpoints);
  if (endpoints.length > 1000) causes.push(invalid('endpoints', `Too many: ${endpoints.length}: must have at most 1000 items`, 'FieldValueTooMany'));
  endpoints.forEach((endpoint, i) => {
    const addresses = Array.isArray(endpoint.addresses) ? (endpoint.addresses as unknown[]) : [];
    if (addresses.length === 0) causes.push(invalid(`endpoints[${i}].addresses`, 'Required value: must contain at least 1 address', 'FieldValueRequired'));
    else if (addresses.length > 100) causes.push(invalid(`endpoints[${i}].addresses`, `Too many: ${addresses.length}: must have at most 100 items`, 'FieldValueTooMany'));
    if (typeof addressType === 'string' && ADDRESS_TYPES.includes(addressType)) {
      addresses.forEach((address, j) => {
        const message = addressErrors(addressType, address);
        if (message) causes.push(invalid(`endpoints[${i}].addresses[${j}]`, `Invalid value: ${JSON.stringify(address)}: ${message}`));
      });
    }
  });
  const ports = list(slice.ports);
  if (ports.length > 100) causes.push(invalid('ports', `Too many: ${ports.length}: must have at most 100 items`, 'FieldValueTooMany'));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const name = typeof port.name === 'string' ? port.name : '';
    if (name !== '') for (const message of nameErrors(name, 'label')) causes.push(invalid(`ports[${i}].name`, `Invalid value: ${JSON.stringify(name)}: ${message}`));
    if (names.has(name)) causes.push(invalid(`ports[${i}].name`, `Duplicate value: ${JSON.stringify(name)}`, 'FieldValueDuplicate'));
    names.add(name);
    if (port.protocol !== undefined && !PROTOCOLS.includes(String(port.protocol))) causes.push(invalid(`ports[${i}].protocol`, `Unsupported value: ${JSON.stringify(port.protocol)}: supported values: "SCTP", "TCP", "UDP"`, 'FieldValueNotSupported'));
    if (port.port !== undefined && port.port !== null && !(Number.isInteger(port.port) && (port.port as number) >= 1 && (port.port as number) <= 65535)) causes.push(invalid(`ports[${i}].port`, `Invalid value: ${JSON.stringify(port.port)}: must be between 1 and 65535, inclusive`));
  });
  return causes;
}
