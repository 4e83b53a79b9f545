import { WeftError } from './weft-error.js';

/** How one error code is documented and raised. */
export interface ErrorSpec {
  /** HTTP status the API answers with when this error reaches a request. */
  readonly status: number;
  /** Message template; `{name}` placeholders are filled from the params given to `create`. */
  readonly message: string;
  /** One sentence for docs/errors.md: when it happens and what the caller should do. */
  readonly fix: string;
  /**
   * Whether doing the same thing again, unchanged, may succeed: a failed sync run is retried
   * only when its error's code says so (the scheduler backs off between attempts). `false` for
   * errors of the caller's or the script's own making (bad input, a forbidden call, a record
   * that cannot be stored), which a retry would only repeat.
   */
  readonly retryable: boolean;
}

export interface ErrorCatalog<Codes extends string> {
  readonly area: string;
  readonly specs: Readonly<Record<Codes, ErrorSpec>>;
  /** Build the error for `code`, filling the message template from `params`. */
  create(code: Codes, params?: Record<string, unknown>, details?: Record<string, unknown>, cause?: unknown): WeftError;
}

const catalogs = new Map<string, ErrorCatalog<string>>();
const owners = new Map<string, string>();
const specsByCode = new Map<string, ErrorSpec>();

function fill(template: string, params: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = params[key];
    if (value === undefined) return whole;
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/**
 * Declare the error codes of one area (usually one package). Every code must be
 * `WEFT_<AREA>_<WHAT>` and unique across all areas: a duplicate fails at import time so two
 * packages can never silently share a code.
 */
export function defineErrors<const Codes extends string>(
  area: string,
  specs: Record<Codes, ErrorSpec>,
): ErrorCatalog<Codes> {
  for (const code of Object.keys(specs)) {
    if (!/^WEFT_[A-Z0-9]+(_[A-Z0-9]+)+$/.test(code)) {
      throw new Error(`Error code ${code} in area ${area} must look like WEFT_<AREA>_<WHAT>`);
    }
    const owner = owners.get(code);
    if (owner !== undefined && owner !== area) {
      throw new Error(`Error code ${code} is declared by both ${owner} and ${area}`);
    }
    owners.set(code, area);
    specsByCode.set(code, specs[code as Codes]);
  }
  const catalog: ErrorCatalog<Codes> = {
    area,
    specs,
    create(code, params = {}, details, cause) {
      const spec = specs[code];
      return new WeftError(code, fill(spec.message, params), spec.status, details, cause);
    },
  };
  catalogs.set(area, catalog as ErrorCatalog<string>);
  return catalog;
}

/** Every catalog declared so far in this process (used to generate and check docs/errors.md). */
export function registeredErrorCatalogs(): ErrorCatalog<string>[] {
  return [...catalogs.values()].sort((a, b) => a.area.localeCompare(b.area));
}

/**
 * The catalogue entry of `code`, whichever area declared it; undefined for a code no catalogue
 * loaded in this process declares. Lets a package ask about another package's codes (is it
 * retryable? which status?) without keeping its own copy of them.
 */
export function errorSpecOf(code: string): ErrorSpec | undefined {
  return specsByCode.get(code);
}

/**
 * Whether retrying may help, as the catalogue entry of the error's code says. An error without a
 * Weft code (a bug in a script, a dropped socket) or with a code no loaded catalogue declares
 * counts as retryable: only a known cause is allowed to stop retries.
 */
export function isRetryable(error: unknown): boolean {
  const code = typeof error === 'string' ? error : (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return true;
  return specsByCode.get(code)?.retryable ?? true;
}
