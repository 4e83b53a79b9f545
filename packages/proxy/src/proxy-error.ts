import { WeftError } from '@weft/core';

export interface ProxyResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  data: T;
}

/**
 * A non-2xx answer from the provider, shaped like an AxiosError because Nango scripts read
 * `error.response.status` / `error.response.data` (and some check `isAxiosError`).
 */
export class ProxyHttpError extends WeftError {
  readonly isAxiosError = true;
  readonly response: ProxyResponse;
  readonly config: { method: string; url: string };

  /** With `attempts` (more than one), the call was retried and the provider kept failing. */
  constructor(
    method: string,
    url: string,
    response: ProxyResponse,
    attempts?: ReadonlyArray<{ status: number | null; error?: string; waitedMs: number }>,
  ) {
    const retried = attempts !== undefined && attempts.length > 1;
    super(
      retried ? 'WEFT_PROXY_RETRIES_EXHAUSTED' : 'WEFT_PROXY_HTTP_ERROR',
      retried
        ? `${method} ${url} failed after ${attempts.length} attempts: HTTP ${response.status}`
        : `${method} ${url} answered HTTP ${response.status}`,
      502,
      { response: { status: response.status, data: response.data }, ...(retried ? { attempts } : {}) },
    );
    this.response = response;
    this.config = { method, url };
  }
}
