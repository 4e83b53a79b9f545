import { packageModules } from './package-modules.js';

// @weft/core (and zod with it) loads only when an error is built: `weft sync status` and the
// other API commands start with nothing but commander and fetch.
const weftError = async (...args: ConstructorParameters<typeof import('@weft/core').WeftError>) => {
  const { WeftError } = await packageModules.core();
  return new WeftError(...args);
};

export interface ApiClientOptions {
  apiUrl?: string;
  secretKey?: string;
}

/**
 * The CLI talks to a running Weft through its REST API (so it works against remote deployments
 * too). URL: --api-url or WEFT_API_URL (default http://127.0.0.1:3003); key: --secret-key or
 * WEFT_SECRET_KEY.
 */
export function apiClient(options: ApiClientOptions, env: Record<string, string | undefined> = process.env) {
  const base = (options.apiUrl ?? env.WEFT_API_URL ?? 'http://127.0.0.1:3003').replace(/\/$/, '');
  const key = options.secretKey ?? env.WEFT_SECRET_KEY;
  return async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!key) {
      throw await weftError(
        'WEFT_CONFIG_INVALID',
        'No secret key: pass --secret-key or set WEFT_SECRET_KEY (print it with `weft env show`)',
        400,
      );
    }
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw await weftError(
        'WEFT_DB_UNREACHABLE',
        `Cannot reach Weft at ${base}: ${(error as Error).message} (is \`weft start\` running? set --api-url)`,
        503,
      );
    }
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : {};
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
        .error;
      throw await weftError(
        error?.code ?? 'WEFT_CORE_INTERNAL',
        error?.message ?? `HTTP ${response.status}`,
        response.status,
        error?.details,
      );
    }
    return parsed as T;
  };
}
