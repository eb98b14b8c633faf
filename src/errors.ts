/**
 * Coded errors. Every failure a user can hit is a KubeforgeError with a stable `code`
 * (tests assert on codes), a one-line message, an optional hint saying how to fix it,
 * and the kubeadm exit code the CLI maps it to.
 */

/** kubeadm's exit codes, plus 4 for `certs check-expiration --warn-within`. */
export const ExitCode = {
  General: 1,
  Preflight: 2,
  Validation: 3,
  ExpiryWarning: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface KubeforgeErrorOptions {
  cause?: unknown;
  hint?: string;
  /** Extra lines shown under the message (e.g. every failed pre-flight check). */
  details?: string[];
  exitCode?: ExitCode;
}

export class KubeforgeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: string[];
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, options: KubeforgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeforgeError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.exitCode = options.exitCode ?? ExitCode.General;
  }
}

/** A validation error (exit 3): bad flag values, bad config files, bad names. */
export function validationError(code: string, message: string, options: Omit<KubeforgeErrorOptions, 'exitCode'> = {}): KubeforgeError {
  return new KubeforgeError(code, message, { ...options, exitCode: ExitCode.Validation });
}

export function isKubeforgeError(err: unknown): err is KubeforgeError {
  return err instanceof KubeforgeError;
}

/** The message of any thrown value, for wrapping causes. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
