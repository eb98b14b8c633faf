/** Kubernetes resource quantities (`100m`, `0.5`, `128Mi`, `1G`, `1e3`) as numbers. */

const SUFFIXES: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/;

/** The quantity in base units (cores, bytes, count), or undefined when it does not parse. */
export function parseQuantity(text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text === 'number') return text;
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const [, number, exponent, suffix] = match;
  return Number(number) * (exponent ? 10 ** Number(exponent.slice(1)) : SUFFIXES[suffix ?? '']!);
}

/** CPU in millicores, rounded up as Kubernetes does. */
export const milliCPU = (text: string | number | undefined) => Math.ceil(Number(((parseQuantity(text) ?? 0) * 1000).toPrecision(12)));
/** Memory (or any integer resource) in whole units, rounded up. */
export const wholeUnits = (text: string | number | undefined) => Math.ceil(Number((parseQuantity(text) ?? 0).toPrecision(15)));
