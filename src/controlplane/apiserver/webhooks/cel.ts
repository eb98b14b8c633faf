/**
 * CEL for ValidatingAdmissionPolicies and webhook matchConditions, on @marcbachmann/cel-js
 * (loaded on first use: an API server with no policy never loads it). Variables are dynamic, as
 * upstream's for objects without a schema: `object`, `oldObject`, `request`, `params`,
 * `namespaceObject`, `variables`. JSON integers become CEL ints (a replica count compares and
 * prints as an int, as upstream's typed objects do). Compiled programs are cached by expression.
 */
import type { Environment, ParseResult } from '@marcbachmann/cel-js';

export type CelVariables = Record<string, unknown>;
export type CelProgram = (vars: CelVariables) => unknown;

let environment: Promise<Environment> | undefined;
const programs = new Map<string, CelProgram | Error>();
/** Policies change rarely; a cache past this many expressions starts again. */
const MAX_PROGRAMS = 2000;

function loadEnvironment(): Promise<Environment> {
  environment ??= import('@marcbachmann/cel-js').then((cel) => new cel.Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true, homogeneousAggregateLiterals: false }));
  return environment;
}

/** JSON as CEL values: integral numbers as ints (bigint), objects and lists deeply. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

/** A CEL result as JSON (ints back to numbers). */
export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), fromCel(v)]));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCel(v)]));
  return value;
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0] as string;

/** Compiles an expression (cached); throws its compile error. */
export async function compile(expression: string): Promise<CelProgram> {
  const cached = programs.get(expression);
  if (cached instanceof Error) throw cached;
  if (cached) return cached;
  const env = await loadEnvironment();
  let program: CelProgram | Error;
  try {
    const parsed: ParseResult = env.parse(expression);
    program = (vars) => parsed(vars);
  } catch (err) {
    program = new Error(`compilation failed: ${firstLine(err)}`);
  }
  if (programs.size >= MAX_PROGRAMS) programs.clear();
  programs.set(expression, program);
  if (program instanceof Error) throw program;
  return program;
}

/** Evaluates an expression; throws its compile or evaluation error with a one-line message. */
export async function evaluate(expression: string, vars: CelVariables): Promise<unknown> {
  const program = await compile(expression);
  try {
    return await program(vars);
  } catch (err) {
    throw new Error(firstLine(err), { cause: err });
  }
}

/** Evaluates an expression that must give a bool. */
export async function evaluateBool(expression: string, vars: CelVariables): Promise<boolean> {
  const result = await evaluate(expression, vars);
  if (typeof result !== 'boolean') throw new Error(`expression must evaluate to bool, got ${typeof result === 'bigint' ? 'int' : typeof result}`);
  return result;
}

export interface MatchCondition {
  name: string;
  expression: string;
}

/**
 * upstream's matchconditions.Matcher: any false condition skips; errors (with none false) are
 * an error under failurePolicy Fail and a skip under Ignore. Answers whether the request matches.
 */
export async function conditionsMatch(conditions: readonly MatchCondition[], vars: CelVariables, failurePolicy: string): Promise<{ matches: boolean; error?: string }> {
  const errors: string[] = [];
  for (const condition of conditions) {
    try {
      if (!(await evaluateBool(condition.expression, vars))) return { matches: false };
    } catch (err) {
      errors.push(`${condition.name}: ${firstLine(err)}`);
    }
  }
  if (errors.length === 0) return { matches: true };
  return failurePolicy === 'Ignore' ? { matches: false } : { matches: false, error: errors.length === 1 ? (errors[0] as string) : `[${errors.join(', ')}]` };
}

/** The CEL expressions of an admission configuration, by field path (upstream validates them on write). */
function expressionFields(kind: string, object: Record<string, unknown>): Array<{ field: string; expression: string }> {
  const list = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object') : []);
  const fields: Array<{ field: string; expression: string }> = [];
  const add = (at: string, items: unknown, keys: string[]) =>
    list(items).forEach((item, i) => {
      for (const key of keys) if (typeof item[key] === 'string' && item[key] !== '') fields.push({ field: `${at}[${i}].${key}`, expression: item[key] as string });
    });
  if (kind === 'ValidatingAdmissionPolicy') {
    const spec = (object.spec ?? {}) as Record<string, unknown>;
    add('spec.validations', spec.validations, ['expression', 'messageExpression']);
    add('spec.matchConditions', spec.matchConditions, ['expression']);
    add('spec.variables', spec.variables, ['expression']);
    add('spec.auditAnnotations', spec.auditAnnotations, ['valueExpression']);
  } else if (kind === 'ValidatingWebhookConfiguration' || kind === 'MutatingWebhookConfiguration') {
    list(object.webhooks).forEach((hook, i) => add(`webhooks[${i}].matchConditions`, hook.matchConditions, ['expression']));
  }
  return fields;
}

/** Each expression of the object that does not compile, as a 422 cause (`compilation failed: …`). */
export async function expressionCauses(kind: string, object: Record<string, unknown>): Promise<Array<{ reason: string; field: string; message: string }>> {
  const causes = [];
  for (const { field, expression } of expressionFields(kind, object)) {
    const error = await compile(expression).then(() => undefined, (err: unknown) => firstLine(err));
    if (error) causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(expression)}: ${error}` });
  }
  return causes;
}
