import { z } from 'zod';
import type { ModeCredentials } from '../credentials.js';
import { interpolate, type TemplateValues } from '../interpolate.js';
import { type AuthModeHandler, invalidInput, type ModeContext, type ModeResult } from './auth-mode.js';
import { signDeclaredJwt } from './jwt-sign.js';
import {
  absoluteExpiry,
  callModeEndpoint,
  durationMs,
  encodeBody,
  interpolateDeep,
  jwtExpiry,
  valueAt,
} from './mode-http.js';

const jwtBlock = z.looseObject({
  signing_key: z.string().optional(),
  expires_in_ms: z.number().optional(),
  header: z.record(z.string(), z.unknown()).default({}),
  payload: z.record(z.string(), z.unknown()).default({}),
});

const step = z.looseObject({
  token_url: z.string(),
  token_request_method: z.enum(['GET', 'POST']).optional(),
  token_params: z.record(z.string(), z.unknown()).optional(),
  token_headers: z.record(z.string(), z.unknown()).optional(),
  body_format: z.string().optional(),
});

/** The TWO_STEP fields of a providers.yaml entry (Nango's `ProviderTwoStep`), read leniently. */
const twoStepFields = z.looseObject({
  token_url: z.string().optional(),
  token_request_method: z.enum(['GET', 'POST']).optional(),
  token_params: z.record(z.string(), z.unknown()).optional(),
  token_headers: z.record(z.string(), z.unknown()).optional(),
  refresh_url: z.string().optional(),
  refresh_token_params: z.record(z.string(), z.unknown()).optional(),
  refresh_token_headers: z.record(z.string(), z.unknown()).optional(),
  body_format: z.string().optional(),
  token_response: z
    .looseObject({
      token: z.string().optional(),
      refresh_token: z.string().optional(),
      token_expiration: z.string().optional(),
      token_expiration_strategy: z.enum(['expireAt', 'expireIn']).optional(),
    })
    .optional(),
  token_expires_in_ms: z.number().optional(),
  token_response_metadata: z.array(z.string()).optional(),
  token_response_headers: z.array(z.string()).optional(),
  additional_steps: z.array(step).optional(),
  signature: z.looseObject({ protocol: z.string() }).optional(),
  token: jwtBlock.optional(),
  assertion: z
    .looseObject({
      type: z.string(),
      key: z.string(),
      lifetimeInSeconds: z.union([z.number(), z.string()]).optional(),
      header: z.record(z.string(), z.unknown()).default({}),
      payload: z.record(z.string(), z.unknown()).default({}),
    })
    .optional(),
});
type TwoStepFields = z.output<typeof twoStepFields>;

/** Fields of the stored credentials that Weft writes itself (never taken from what the user entered). */
const RESERVED = new Set(['type', 'token', 'refresh_token', 'expires_at', 'raw', 'assertion']);

function fieldsOf(ctx: ModeContext): TwoStepFields {
  const parsed = twoStepFields.safeParse(ctx.provider);
  if (!parsed.success) throw invalidInput(`the provider's TWO_STEP fields are malformed: ${parsed.error.message}`);
  return parsed.data;
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    if (item !== undefined && item !== null) out[key] = typeof item === 'string' ? item : String(item);
  }
  return out;
}

function cookiesFrom(header: string | string[] | undefined): string | undefined {
  const list = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const pairs = list.map((cookie) => cookie.split(';')[0]?.trim()).filter((pair): pair is string => Boolean(pair));
  return pairs.length > 0 ? pairs.join('; ') : undefined;
}

/** When the token expires, the way Nango reads `token_response` (expireIn/expireAt, JWT `exp`). */
function expiryOf(fields: TwoStepFields, data: unknown, token: string): string | undefined {
  const path = fields.token_response?.token_expiration;
  const raw = path === undefined ? undefined : valueAt(data, path);
  let expiresAt: string | undefined;
  if (raw !== undefined && raw !== null && raw !== '') {
    if ((fields.token_response?.token_expiration_strategy ?? 'expireAt') === 'expireIn') {
      const ms = durationMs(raw);
      expiresAt = ms === undefined ? undefined : new Date(Date.now() + ms).toISOString();
    } else {
      expiresAt = absoluteExpiry(raw);
    }
  } else if (fields.token_expires_in_ms !== undefined && fields.token_expires_in_ms > 0) {
    expiresAt = new Date(Date.now() + fields.token_expires_in_ms).toISOString();
  }
  const fromJwt = jwtExpiry(token);
  if (fromJwt !== undefined && (expiresAt === undefined || fromJwt < expiresAt)) expiresAt = fromJwt;
  return expiresAt;
}

/**
 * Get a token from the provider's endpoint with what the end user entered (password grants,
 * PATs exchanged for sessions, self-signed JWT assertions, multi-step logins), exactly as declared
 * in providers.yaml. Used at connect and again for every refresh.
 */
async function obtain(ctx: ModeContext, entered: Record<string, unknown>, refreshToken?: string): Promise<ModeResult> {
  const fields = fieldsOf(ctx);
  const { connectionConfig } = ctx;
  const values: TemplateValues = {
    ...entered,
    credentials: entered,
    connectionConfig,
    assertionOption: (entered.assertionOption as Record<string, unknown> | undefined) ?? entered,
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
  };
  if (fields.signature !== undefined && fields.token !== undefined) {
    values.token = await signDeclaredJwt({
      header: fields.token.header,
      payload: fields.token.payload,
      key: interpolate(fields.token.signing_key ?? '', values) ?? '',
      lifetimeSeconds: (fields.token.expires_in_ms ?? 3_600_000) / 1000,
      values,
    });
  }
  if (fields.assertion !== undefined) {
    if (fields.assertion.type !== 'jwt')
      throw invalidInput(`${fields.assertion.type} assertions are not supported by Weft (only jwt)`);
    const assertion = await signDeclaredJwt({
      header: fields.assertion.header,
      payload: fields.assertion.payload,
      key: interpolate(fields.assertion.key, values) ?? '',
      lifetimeSeconds: Number(fields.assertion.lifetimeInSeconds ?? 300),
      values,
    });
    values.credentials = { ...entered, assertion };
  }
  const isRefresh =
    refreshToken !== undefined &&
    (fields.refresh_token_params !== undefined || fields.refresh_token_headers !== undefined);
  const urlTemplate = isRefresh ? (fields.refresh_url ?? fields.token_url) : fields.token_url;
  const url = urlTemplate === undefined ? undefined : interpolate(urlTemplate, values);
  if (url === undefined) throw invalidInput('token_url is missing or needs a connection_config value that is not set');
  const params = interpolateDeep(isRefresh ? fields.refresh_token_params : fields.token_params, values);
  const headers = stringRecord(
    interpolateDeep(isRefresh ? (fields.refresh_token_headers ?? fields.token_headers) : fields.token_headers, values),
  );
  const method = fields.token_request_method ?? 'POST';
  const encoded = encodeBody(params, fields.body_format);
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const first = await callModeEndpoint({
    url,
    method,
    headers: method === 'GET' ? lower : { 'content-type': encoded.contentType, ...lower },
    ...(method === 'GET' ? {} : { body: encoded.body }),
  });
  const responses: unknown[] = [first.data];
  const captured: Record<string, string> = {};
  const capture = (responseHeaders: Record<string, string | string[] | undefined>) => {
    for (const name of fields.token_response_headers ?? []) {
      const value = responseHeaders[name.toLowerCase()];
      if (name.toLowerCase() === 'set-cookie') {
        const cookies = cookiesFrom(value);
        if (cookies !== undefined) captured._cookies = captured._cookies ? `${captured._cookies}; ${cookies}` : cookies;
      } else if (value !== undefined) captured[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  };
  capture(first.headers);
  // additional_steps: step N+1 may read step N's answer as ${stepN.field} (DocuWare's discovery chain).
  for (const next of fields.additional_steps ?? []) {
    const stepValues: TemplateValues = { ...values };
    responses.forEach((data, index) => {
      stepValues[`step${index + 1}`] = data;
    });
    const stepUrl = interpolate(next.token_url, stepValues);
    if (stepUrl === undefined) throw invalidInput(`a later login step's URL (${next.token_url}) did not resolve`);
    const stepMethod = next.token_request_method ?? 'POST';
    const stepBody = encodeBody(interpolateDeep(next.token_params, stepValues), next.body_format ?? fields.body_format);
    const stepHeaders = Object.fromEntries(
      Object.entries(stringRecord(interpolateDeep(next.token_headers, stepValues))).map(([k, v]) => [
        k.toLowerCase(),
        v,
      ]),
    );
    const answer = await callModeEndpoint({
      url: stepUrl,
      method: stepMethod,
      headers: stepMethod === 'GET' ? stepHeaders : { 'content-type': stepBody.contentType, ...stepHeaders },
      ...(stepMethod === 'GET' ? {} : { body: stepBody.body }),
    });
    responses.push(answer.data);
    capture(answer.headers);
  }
  const data = responses[responses.length - 1];
  const tokenPath = fields.token_response?.token;
  const token = tokenPath === undefined ? data : valueAt(data, tokenPath);
  if (typeof token !== 'string' && typeof token !== 'number')
    throw invalidInput(`the provider's answer has no token at ${tokenPath ?? '(root)'}`);
  const refreshPath = fields.token_response?.refresh_token;
  const nextRefresh = refreshPath === undefined ? undefined : valueAt(data, refreshPath);
  const expiresAt = expiryOf(fields, data, String(token));
  const kept = Object.fromEntries(Object.entries(entered).filter(([key]) => !RESERVED.has(key)));
  const credentials: ModeCredentials = {
    ...kept,
    ...captured,
    type: 'TWO_STEP',
    token: String(token),
    ...(typeof nextRefresh === 'string'
      ? { refresh_token: nextRefresh }
      : refreshToken
        ? { refresh_token: refreshToken }
        : {}),
    ...(expiresAt === undefined ? {} : { expires_at: expiresAt }),
    raw: (typeof data === 'object' && data !== null ? data : { value: data }) as Record<string, unknown>,
  };
  const metadata: Record<string, unknown> = {};
  for (const path of fields.token_response_metadata ?? []) {
    const value = valueAt(data, path);
    if (value !== undefined) metadata[path] = value;
  }
  return { credentials, connectionConfig: metadata };
}

/** The values the end user entered, as stored (everything but what Weft itself wrote). */
function enteredOf(credentials: ModeCredentials): Record<string, unknown> {
  return Object.fromEntries(Object.entries(credentials).filter(([key]) => !RESERVED.has(key) && key !== '_cookies'));
}

export const twoStepMode: AuthModeHandler = {
  mode: 'TWO_STEP',
  connect: (ctx, entered) => obtain(ctx, entered),
  refresh: (ctx, current) =>
    obtain(ctx, enteredOf(current), typeof current.refresh_token === 'string' ? current.refresh_token : undefined),
  headers(credentials, provider): Record<string, string> {
    // Nango: no Bearer when the provider sends the token its own way (`${accessToken}` in a
    // header, or a session cookie from `${credentials._cookies}`).
    const custom = Object.values(provider.proxy?.headers ?? {}).some((value) =>
      /\$\{(accessToken|credentials\._cookies)\}/.test(value),
    );
    return custom || credentials.token === undefined ? {} : { authorization: `Bearer ${credentials.token}` };
  },
};
