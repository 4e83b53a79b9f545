import { z } from 'zod';
import { interpolate } from '../interpolate.js';
import { type AuthModeHandler, invalidInput, type ModeContext } from './auth-mode.js';
import { callModeEndpoint } from './mode-http.js';
import { oauth1Header, oauth1Signer, signedBodyParams } from './oauth1-signer.js';

/** The OAUTH1 fields of a providers.yaml entry (Nango's `ProviderOAuth1`). */
const oauth1Fields = z.looseObject({
  request_url: z.string(),
  authorization_url: z.string(),
  token_url: z.union([z.string(), z.record(z.string(), z.string())]),
  signature_method: z.enum(['HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT']).default('HMAC-SHA1'),
  request_params: z.record(z.string(), z.string()).optional(),
  request_http_method: z.enum(['GET', 'POST']).optional(),
  token_http_method: z.enum(['GET', 'POST']).optional(),
  authorization_params: z.record(z.string(), z.unknown()).optional(),
  scope_separator: z.string().optional(),
});

function fieldsOf(ctx: ModeContext) {
  const parsed = oauth1Fields.safeParse(ctx.provider);
  if (!parsed.success) throw invalidInput(`the provider's OAUTH1 fields are malformed: ${parsed.error.message}`);
  const fields = parsed.data;
  const values = { connectionConfig: ctx.connectionConfig };
  const tokenTemplate = typeof fields.token_url === 'string' ? fields.token_url : fields.token_url.OAUTH1;
  const url = (template: string | undefined, name: string) => {
    const value = template === undefined ? undefined : interpolate(template, values);
    if (value === undefined)
      throw invalidInput(`${name} is missing or needs a connection_config value that is not set`);
    return value;
  };
  return {
    fields,
    requestUrl: url(fields.request_url, 'request_url'),
    authorizationUrl: url(fields.authorization_url, 'authorization_url'),
    tokenUrl: url(tokenTemplate, 'token_url'),
  };
}

function consumerOf(ctx: ModeContext) {
  const { clientId, clientSecret } = ctx.integration;
  if (!clientId || !clientSecret)
    throw invalidInput('the integration has no consumer key and secret (client_id, client_secret)');
  return { key: clientId, secret: clientSecret };
}

function form(data: unknown): Record<string, string> {
  return (typeof data === 'object' && data !== null ? data : {}) as Record<string, string>;
}

/**
 * OAuth 1.0a three-legged flow (RFC 5849 §2): a request token signed with the consumer, the end
 * user authorizes it at the provider, and the verifier is exchanged for the access token and
 * secret. Every API request is then signed (HMAC-SHA1) by the proxy; tokens do not expire.
 */
export const oauth1Mode: AuthModeHandler = {
  mode: 'OAUTH1',
  async authorize(ctx, flow) {
    const { fields, requestUrl, authorizationUrl } = fieldsOf(ctx);
    const signer = oauth1Signer(consumerOf(ctx), fields.signature_method);
    // The state rides on the callback URL: OAuth 1.0a has no state parameter of its own.
    const callback = `${flow.redirectUri}?state=${encodeURIComponent(flow.state)}`;
    const method = fields.request_http_method ?? 'POST';
    const data = { oauth_callback: callback, ...(fields.request_params ?? {}) };
    const answer = await callModeEndpoint({
      url: requestUrl,
      method,
      headers: { authorization: oauth1Header(signer, { method, url: requestUrl, data }) },
    });
    const { oauth_token: token, oauth_token_secret: secret } = form(answer.data);
    if (!token || !secret) throw invalidInput('the request-token answer has no oauth_token/oauth_token_secret');
    const url = new URL(authorizationUrl);
    url.searchParams.set('oauth_token', token);
    for (const [key, value] of Object.entries(fields.authorization_params ?? {}))
      url.searchParams.set(key, String(value));
    if (ctx.integration.scopes.length > 0)
      url.searchParams.set('scope', ctx.integration.scopes.join(fields.scope_separator ?? ' '));
    return { url: url.toString(), pending: JSON.stringify({ token, secret }) };
  },
  async callback(ctx, flow) {
    const { fields, tokenUrl } = fieldsOf(ctx);
    const request = JSON.parse(flow.pending ?? '{}') as { token?: string; secret?: string };
    const verifier = flow.query.oauth_verifier;
    if (!verifier || !request.token || !request.secret)
      throw invalidInput('the provider sent no oauth_verifier (the end user declined?)');
    if (flow.query.oauth_token !== undefined && flow.query.oauth_token !== request.token)
      throw invalidInput('the callback names another request token');
    const signer = oauth1Signer(consumerOf(ctx), fields.signature_method);
    const method = fields.token_http_method ?? 'POST';
    const answer = await callModeEndpoint({
      url: tokenUrl,
      method,
      headers: {
        authorization: oauth1Header(
          signer,
          { method, url: tokenUrl, data: { oauth_verifier: verifier } },
          { key: request.token, secret: request.secret },
        ),
      },
    });
    const raw = form(answer.data);
    if (!raw.oauth_token || !raw.oauth_token_secret)
      throw invalidInput('the access-token answer has no oauth_token/oauth_token_secret');
    return {
      credentials: {
        type: 'OAUTH1',
        oauth_token: raw.oauth_token,
        oauth_token_secret: raw.oauth_token_secret,
        signature_method: fields.signature_method,
        raw,
      },
    };
  },
  // Nothing to renew; after a 401 the provider's verification request (or its absence) decides.
  refresh: async (_ctx, current) => ({ credentials: current }),
  afterUnauthorized: 'verify-or-revoked',
  sign(connection, request): Record<string, string> {
    const { credentials, client } = connection;
    if (client === undefined) return {};
    const signer = oauth1Signer(
      { key: client.id, secret: client.secret },
      typeof credentials.signature_method === 'string' ? credentials.signature_method : 'HMAC-SHA1',
    );
    return {
      authorization: oauth1Header(
        signer,
        { method: request.method, url: request.url.toString(), data: signedBodyParams(request) },
        { key: String(credentials.oauth_token), secret: String(credentials.oauth_token_secret) },
      ),
    };
  },
  headers: () => ({}),
};
