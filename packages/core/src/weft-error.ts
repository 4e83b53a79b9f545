/**
 * The one error type every Weft package throws. It carries a stable `code` (never reused once
 * retired), the HTTP status the API answers with, and optional structured `details` that tell
 * the caller what to fix. Compare errors by `code` (see `isWeftError`), never by `instanceof`
 * alone: errors that crossed the sandbox boundary are rebuilt from plain data.
 */
export class WeftError extends Error {
  override readonly name = 'WeftError';
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, status = 500, details?: Record<string, unknown>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** Plain-data form used on the wire (API bodies, sandbox boundary, run records). */
  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Re-raise `original` where it surfaced (e.g. a host error a script let escape, reported as the
 * script's failure): the new error says where (`message`, `details`) and keeps `original` as its
 * `cause`, with the same code and status. The only way to give an error another error's code:
 * nobody assigns `code` on an error after it was built.
 */
export function wrapWeftError(original: WeftError, message: string, details?: Record<string, unknown>): WeftError {
  return new WeftError(original.code, message, original.status, details, original);
}

/** True when `error` is a WeftError (optionally with the given code), also across realms. */
export function isWeftError(error: unknown, code?: string): error is WeftError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown; status?: unknown };
  if (typeof candidate.code !== 'string' || !candidate.code.startsWith('WEFT_')) return false;
  if (typeof candidate.status !== 'number') return false;
  return code === undefined || candidate.code === code;
}
