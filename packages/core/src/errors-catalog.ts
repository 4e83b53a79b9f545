import { WeftError } from './weft-error.js';

/** How one error code is documented and raised. */
export interface ErrorSpec {
  /** HTTP status the API answers with when this error reaches a request. */
  readonly status: number;
  /** Message template; `{name}` placeholders are filled from the params given to `create`. */
  readonly message: string;
  /** One sentence for docs/errors.md: when it happens and what the caller should do. */
  readonly fix: string;
}

export interface ErrorCatalog<Codes extends string> {
  readonly area: string;
  readonly specs: Readonly<Record<Codes, ErrorSpec>>;
  /** Build the error for `code`, filling the message template from `params`. */
  create(code: Codes, params?: Record<string, unknown>, details?: Record<string, unknown>, cause?: unknown): WeftError;
}

const catalogs = new Map<string, ErrorCatalog<string>>();
const owners = new Map<string, string>();

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
