/**
 * Serializes a kubeconfig exactly as Go's clientcmd.Write does (JSON field names, keys sorted,
 * go-yaml v2 block style and scalar quoting), so files and cluster-info are byte-for-byte kubeadm's.
 */

export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

// YAML 1.1 scalars go-yaml v2 would read back as something other than a string.
const NON_STRING = /^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN|[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?))$/;
const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`]/;

export function yamlScalar(text: string): string {
  if (text === '' || NON_STRING.test(text)) return JSON.stringify(text);
  // eslint-disable-next-line no-control-regex
  const plainUnsafe = INDICATOR_START.test(text) || /^\s|\s$|: |:$| #|[\u0000-\u001f\u007f]/.test(text);
  return plainUnsafe ? `'${text.replace(/'/g, "''")}'` : text;
}

function isEmptyCollection(value: YamlValue): boolean {
  return value === null || (Array.isArray(value) ? value.length === 0 : typeof value === 'object' && Object.keys(value).length === 0);
}

function inline(value: YamlValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object') return '{}';
  return yamlScalar(value);
}

function emitMapping(map: { [key: string]: YamlValue }, indent: string): string {
  let out = '';
  for (const key of Object.keys(map).sort()) {
    const value = map[key]!;
    if (typeof value === 'string' || isEmptyCollection(value)) out += `${indent}${key}: ${inline(value)}\n`;
    else if (Array.isArray(value)) out += `${indent}${key}:\n${emitSequence(value, indent)}`;
    else out += `${indent}${key}:\n${emitMapping(value as { [key: string]: YamlValue }, `${indent}  `)}`;
  }
  return out;
}

// go-yaml v2 puts a sequence at the same indentation as its parent key.
function emitSequence(items: YamlValue[], indent: string): string {
  return items
    .map((item) => {
      if (typeof item === 'string' || isEmptyCollection(item)) return `${indent}- ${inline(item)}\n`;
      const body = Array.isArray(item) ? emitSequence(item, `${indent}  `) : emitMapping(item as { [key: string]: YamlValue }, `${indent}  `);
      return `${indent}- ${body.slice(indent.length + 2)}`;
    })
    .join('');
}

export function toYaml(document: { [key: string]: YamlValue }): string {
  return emitMapping(document, '');
}
