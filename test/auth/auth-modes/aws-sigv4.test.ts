import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsFake, startAwsFake } from '../../fakes/aws-sigv4.js';
import { type ApiHarness, type Body, startApi } from '../../helpers/api-harness.js';
import { catalogueEntries } from '../../helpers/catalogue.js';

// AWS_SIGV4 with Nango's own `aws-sigv4` entry: the end user gives a role ARN; Weft assumes it
// through STS with the integration's key and signs each call with AWS's signer.
let h: ApiHarness;
let aws: AwsFake;
let connectionId: string;
const headers = () => ({ 'Connection-Id': connectionId, 'Provider-Config-Key': 'aws' });

beforeAll(async () => {
  aws = await startAwsFake();
  h = await startApi({ providers: await catalogueEntries(['aws-sigv4']), captureLogs: true });
  const created = await h.api('/integrations', {
    method: 'POST',
    json: {
      unique_key: 'aws',
      provider: 'aws-sigv4',
      credentials: { client_id: aws.owner.accessKeyId, client_secret: aws.owner.secretAccessKey },
      overrides: { sts_url: `${aws.url}/sts/`, proxy: { base_url: aws.url } },
    },
  });
  expect(created.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await aws?.close();
});

async function connect(roleArn: string): Promise<Response> {
  const session = await h.get('/connect/sessions', {
    method: 'POST',
    json: {
      end_user: { id: 'u1' },
      // The integration owner fixes the service for every end user; the end user may pick a region.
      integrations_config_defaults: { aws: { connection_config: { service: 'execute-api' } } },
    },
  });
  return h.api('/connect/credentials/aws', {
    method: 'POST',
    json: {
      connect_session_token: session.data.token,
      connection_config: { region: 'eu-west-1' },
      credentials: { role_arn: roleArn },
    },
  });
}

describe('AWS_SIGV4 (aws-sigv4)', () => {
  it('a role that does not trust the integration is refused; nothing is stored', async () => {
    const response = await connect('arn:aws:iam::123456789012:role/Other');
    expect(response.status).toBe(400);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_CREDENTIALS_REJECTED');
    expect((await h.db.pool.query('SELECT 1 FROM connections')).rows).toHaveLength(0);
  });

  it('assumes the role (external id kept in connection_config), temporary keys sealed', async () => {
    aws.nextLifetimeSeconds = 120; // inside the refresh margin: the next use assumes the role again
    const response = await connect(aws.roleArn);
    expect(response.status).toBe(201);
    connectionId = ((await response.json()) as Body).connection_id;
    const ref = { environmentId: h.environmentId, providerConfigKey: 'aws', connectionId };
    const record = await h.auth.findConnectionRecord(ref);
    expect(record.connectionConfig).toMatchObject({
      region: 'eu-west-1',
      service: 'execute-api',
      external_id: aws.externalIds.at(-1),
    });
    const { rows } = await h.db.pool.query<{ row: string }>('SELECT to_jsonb(c)::text AS row FROM connections c');
    expect(rows[0]?.row).not.toContain(
      String((record.credentials as unknown as { secret_access_key: string }).secret_access_key),
    );
  });

  it('renews the temporary credentials before they expire and signs each call with them', async () => {
    const before = aws.assumed;
    for (let i = 0; i < 2; i++) {
      const response = await h.api('/proxy/items?limit=10&b=two%20words', { headers: headers() });
      expect(response.status).toBe(200);
    }
    expect(aws.assumed - before).toBe(1);
    expect(aws.calls).toEqual([
      { path: '/items', region: 'eu-west-1', service: 'execute-api' },
      { path: '/items', region: 'eu-west-1', service: 'execute-api' },
    ]);
    // The same external id every time: it is what the customer's trust policy names.
    expect(new Set(aws.externalIds.slice(1)).size).toBe(1);
  });

  it('a signed POST body is covered by the signature', async () => {
    const response = await h.api('/proxy/items', {
      method: 'POST',
      headers: { ...headers(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(response.status).toBe(200);
  });

  it('the customer removes the trust: the next renewal is refused (AccessDenied) and the connection needs reauth', async () => {
    aws.revokeRole();
    const forced = await h.api(`/connection/${connectionId}?provider_config_key=aws&force_refresh=true`);
    expect(forced.status).toBe(401);
    expect(((await forced.json()) as Body).error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    const list = await h.get('/connections?provider_config_key=aws');
    expect(list.connections[0]).toMatchObject({ auth_state: 'needs_reauth' });
  });

  it('never logs the keys', () => {
    const text = h.logs.join('\n');
    expect(text).not.toContain(aws.owner.secretAccessKey);
  });
});
