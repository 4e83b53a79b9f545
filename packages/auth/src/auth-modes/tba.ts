import type { ModeCredentials } from '../credentials.js';
import { type AuthModeHandler, invalidInput } from './auth-mode.js';
import { oauth1Header, oauth1Signer, signedBodyParams } from './oauth1-signer.js';

/**
 * TBA (NetSuite token-based authentication): OAuth 1.0a HMAC-SHA256 with the integration's
 * consumer key/secret and the token id/secret the end user created in NetSuite, `realm` = the
 * account id upper-cased with `-` → `_` (NetSuite's documented rule). Tokens do not expire.
 */
export const tbaMode: AuthModeHandler = {
  mode: 'TBA',
  async connect(ctx, entered) {
    if (!ctx.integration.clientId || !ctx.integration.clientSecret)
      throw invalidInput('the integration has no consumer key and secret (client_id, client_secret)');
    const credentials: ModeCredentials = {
      type: 'TBA',
      token_id: String(entered.token_id ?? ''),
      token_secret: String(entered.token_secret ?? ''),
    };
    return { credentials };
  },
  refresh: async (_ctx, current) => ({ credentials: current }),
  afterUnauthorized: 'verify-or-revoked',
  defaultCredentialFields: {
    token_id: { title: 'Token ID' },
    token_secret: { title: 'Token secret', secret: true },
  },
  sign(connection, request): Record<string, string> {
    const { credentials, client } = connection;
    if (client === undefined) return {};
    const account = String(connection.connectionConfig.accountId ?? '');
    const signer = oauth1Signer(
      { key: client.id, secret: client.secret },
      'HMAC-SHA256',
      account.replace(/-/g, '_').toUpperCase(),
    );
    return {
      authorization: oauth1Header(
        signer,
        { method: request.method, url: request.url.toString(), data: signedBodyParams(request) },
        { key: String(credentials.token_id), secret: String(credentials.token_secret) },
      ),
    };
  },
  headers: () => ({}),
};
