import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MicrosoftGraphFake, quickXorHash, startMicrosoftGraphFake } from './microsoft-graph.ts';
import { type MicrosoftIdentityFake, startMicrosoftIdentityFake } from './microsoft-identity.ts';

const CLIENT = { id: 'c0ffee00-1111-4222-8333-444455556666', secret: 'app~secret', redirect: 'http://127.0.0.1:9/cb' };
const TENANT = 'f1e2d3c4-b5a6-4789-8abc-def012345678';
/** Three folders (root + 2) share 900 files, so each holds more than one default page (200). */
const SEED = {
  seed: 42,
  files: 900,
  folderDepth: 1,
  foldersPerFolder: 2,
  largeFiles: 1,
  largeFileBytes: 3 * 1024 * 1024 + 17,
};
const AAD_ERROR_KEYS = ['correlation_id', 'error', 'error_codes', 'error_description', 'timestamp', 'trace_id'];

interface TokenResponse {
  token_type?: string;
  scope?: string;
  expires_in?: number;
  ext_expires_in?: number;
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  error?: string;
  error_description?: string;
  error_codes?: number[];
}

interface GraphPage {
  value: Array<Record<string, unknown>>;
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

interface GraphErrorBody {
  error: { code: string; message: string; innerError: Record<string, string> };
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function authorize(
  identity: MicrosoftIdentityFake,
  params: Record<string, string>,
  tenant = 'common',
): Promise<URL> {
  const url = new URL(`${identity.url}/${tenant}/oauth2/v2.0/authorize`);
  for (const [k, v] of Object.entries({
    client_id: CLIENT.id,
    redirect_uri: CLIENT.redirect,
    response_type: 'code',
    state: 'st-1',
    ...params,
  })) {
    url.searchParams.set(k, v);
  }
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

async function token(
  identity: MicrosoftIdentityFake,
  form: Record<string, string>,
  tenant = 'common',
): Promise<{ status: number; body: TokenResponse }> {
  const res = await fetch(`${identity.url}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT.id, client_secret: CLIENT.secret, ...form }),
  });
  return { status: res.status, body: (await res.json()) as TokenResponse };
}

/** Authorization code flow with PKCE; returns the token response. */
async function signIn(identity: MicrosoftIdentityFake, scope: string): Promise<TokenResponse> {
  const { verifier, challenge } = pkce();
  const back = await authorize(identity, { scope, code_challenge: challenge, code_challenge_method: 'S256' });
  const code = back.searchParams.get('code') ?? '';
  const { status, body } = await token(identity, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: CLIENT.redirect,
    code_verifier: verifier,
  });
  expect(status).toBe(200);
  return body;
}

function expectAadError(body: TokenResponse, error: string, code: number): void {
  expect(Object.keys(body).sort()).toEqual(AAD_ERROR_KEYS);
  expect(body.error).toBe(error);
  expect(body.error_codes).toEqual([code]);
  expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
}

describe('Microsoft identity platform fake', () => {
  let identity: MicrosoftIdentityFake;
  let now = Date.UTC(2025, 0, 15, 12, 0, 0);

  beforeAll(async () => {
    identity = await startMicrosoftIdentityFake({
      clients: { [CLIENT.id]: { secret: CLIENT.secret, redirectUris: [CLIENT.redirect] } },
      tenantId: TENANT,
      now: () => now,
    });
  });
  afterAll(async () => {
    await identity.close();
  });

  it('auth code + PKCE: redirects with code and state, issues a Graph JWT and a refresh token', async () => {
    const { verifier, challenge } = pkce();
    const back = await authorize(identity, {
      scope: 'openid offline_access Files.Read',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(`${back.origin}${back.pathname}`).toBe(CLIENT.redirect);
    expect(back.searchParams.get('state')).toBe('st-1');
    const code = back.searchParams.get('code') ?? '';
    expect(code).not.toBe('');

    // The redirect URI must match the authorize request.
    const before = identity.tokenRequests.authorization_code ?? 0;
    const { status, body } = await token(identity, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: CLIENT.redirect,
      code_verifier: verifier,
    });
    expect(identity.tokenRequests.authorization_code).toBe(before + 1);
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600 });
    expect(body.scope?.split(' ')).toContain('Files.Read');
    expect(typeof body.refresh_token).toBe('string');
    expect(typeof body.id_token).toBe('string');
    const claims = decodeJwt(body.access_token ?? '');
    expect(claims).toMatchObject({
      iss: `https://sts.windows.net/${TENANT}/`,
      aud: 'https://graph.microsoft.com',
      scp: 'Files.Read',
      tid: TENANT,
      oid: identity.user.oid,
      iat: Math.floor(now / 1000),
      nbf: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + 3600,
    });
    expect(identity.verifyAccessToken(body.access_token ?? '')).toMatchObject({ aud: 'https://graph.microsoft.com' });
    expect(identity.verifyAccessToken(`${body.access_token}x`)).toBeNull();
    expect(decodeJwt(body.id_token ?? '')).toMatchObject({ aud: CLIENT.id, oid: identity.user.oid });

    // Codes are single use.
    const again = await token(identity, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: CLIENT.redirect,
      code_verifier: verifier,
    });
    expect(again.status).toBe(400);
    expectAadError(again.body, 'invalid_grant', 54005);
  });

  it('rejects a wrong PKCE verifier, redirect URI mismatch and a bad client secret', async () => {
    const { challenge } = pkce();
    const back = await authorize(identity, {
      scope: 'Files.Read',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const wrong = await token(identity, {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code') ?? '',
      redirect_uri: CLIENT.redirect,
      code_verifier: pkce().verifier,
    });
    expect(wrong.status).toBe(400);
    expectAadError(wrong.body, 'invalid_grant', 501481);

    const back2 = await authorize(identity, { scope: 'Files.Read' });
    const mismatch = await token(identity, {
      grant_type: 'authorization_code',
      code: back2.searchParams.get('code') ?? '',
      redirect_uri: 'http://127.0.0.1:9/other',
    });
    expectAadError(mismatch.body, 'invalid_grant', 50148);

    const badSecret = await token(
      identity,
      { grant_type: 'client_credentials', client_secret: 'nope', scope: 'x/.default' },
      TENANT,
    );
    expect(badSecret.status).toBe(401);
    expectAadError(badSecret.body, 'invalid_client', 7000215);

    const unsupported = await token(identity, { grant_type: 'password' });
    expect(unsupported.status).toBe(400);
    expectAadError(unsupported.body, 'unsupported_grant_type', 70003);

    const noCode = await token(identity, { grant_type: 'authorization_code', redirect_uri: CLIENT.redirect });
    expectAadError(noCode.body, 'invalid_request', 900144);

    const res = await fetch(`${identity.url}/common/oauth2/v2.0/authorize?client_id=unknown&response_type=code`);
    expect(res.status).toBe(400);
    expectAadError((await res.json()) as TokenResponse, 'unauthorized_client', 700016);
  });

  it('refresh rotates the refresh token; revoked or reused tokens get invalid_grant AADSTS70000', async () => {
    const first = await signIn(identity, 'offline_access User.Read Mail.Read');
    const rt1 = first.refresh_token ?? '';
    const before = identity.tokenRequests.refresh_token ?? 0;
    const refreshed = await token(identity, { grant_type: 'refresh_token', refresh_token: rt1 });
    expect(refreshed.status).toBe(200);
    expect(identity.tokenRequests.refresh_token).toBe(before + 1);
    const rt2 = refreshed.body.refresh_token ?? '';
    expect(rt2).not.toBe('');
    expect(rt2).not.toBe(rt1);
    expect(decodeJwt(refreshed.body.access_token ?? '').scp).toBe('User.Read Mail.Read');

    const reused = await token(identity, { grant_type: 'refresh_token', refresh_token: rt1 });
    expect(reused.status).toBe(400);
    expectAadError(reused.body, 'invalid_grant', 70000);

    identity.revokeRefreshToken(rt2);
    const revoked = await token(identity, { grant_type: 'refresh_token', refresh_token: rt2 });
    expect(revoked.status).toBe(400);
    expectAadError(revoked.body, 'invalid_grant', 70000);
    expect(identity.issued.some((i) => i.refreshToken === rt2 && i.grantType === 'refresh_token')).toBe(true);
  });

  it('issues no refresh token without offline_access', async () => {
    const body = await signIn(identity, 'User.Read');
    expect(body.access_token).toBeDefined();
    expect(body.refresh_token).toBeUndefined();
    expect(body.id_token).toBeUndefined();
  });

  it('records consent prompts: first use and prompt=consent', async () => {
    const clientPrompts = () => identity.consentPrompts.filter((p) => p.clientId === CLIENT.id);
    identity.setConsent(CLIENT.id, []);
    const before = clientPrompts().length;
    await authorize(identity, { scope: 'Calendars.Read' }, 'contoso.onmicrosoft.com');
    expect(clientPrompts().length).toBe(before + 1);
    expect(clientPrompts().at(-1)).toMatchObject({ reason: 'new-scopes', tenant: 'contoso.onmicrosoft.com' });
    await authorize(identity, { scope: 'Calendars.Read' });
    expect(clientPrompts().length).toBe(before + 1);
    await authorize(identity, { scope: 'Calendars.Read', prompt: 'consent' });
    expect(clientPrompts().at(-1)).toMatchObject({ reason: 'prompt', scopes: ['Calendars.Read'] });
    const denied = await (async () => {
      identity.denyNext();
      return authorize(identity, { scope: 'Calendars.Read' });
    })();
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('st-1');
  });

  it('client credentials: audience from the /.default scope, no refresh token, /.default required', async () => {
    const before = identity.tokenRequests.client_credentials ?? 0;
    const { status, body } = await token(
      identity,
      { grant_type: 'client_credentials', scope: 'https://storage.azure.com/.default' },
      TENANT,
    );
    expect(status).toBe(200);
    expect(identity.tokenRequests.client_credentials).toBe(before + 1);
    expect(body.refresh_token).toBeUndefined();
    const claims = identity.verifyAccessToken(body.access_token ?? '');
    expect(claims).toMatchObject({ aud: 'https://storage.azure.com', tid: TENANT, appid: CLIENT.id, idtyp: 'app' });
    expect(claims?.scp).toBeUndefined();

    const graph = await token(
      identity,
      { grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' },
      TENANT,
    );
    expect(decodeJwt(graph.body.access_token ?? '').aud).toBe('https://graph.microsoft.com');

    const bad = await token(
      identity,
      { grant_type: 'client_credentials', scope: 'https://storage.azure.com/user_impersonation' },
      TENANT,
    );
    expect(bad.status).toBe(400);
    expectAadError(bad.body, 'invalid_scope', 1002012);
  });

  it('verifyAccessToken follows the injected clock', async () => {
    identity.accessTokenLifetimeSeconds = 60;
    try {
      const body = await signIn(identity, 'User.Read');
      expect(body.expires_in).toBe(60);
      expect(identity.verifyAccessToken(body.access_token ?? '')).not.toBeNull();
      now += 61_000;
      expect(identity.verifyAccessToken(body.access_token ?? '')).toBeNull();
    } finally {
      identity.accessTokenLifetimeSeconds = 3600;
    }
  });
});

describe('Microsoft Graph fake', () => {
  let identity: MicrosoftIdentityFake;
  let graph: MicrosoftGraphFake;
  let now = Date.UTC(2025, 2, 1, 9, 0, 0);
  let accessToken = '';

  beforeAll(async () => {
    identity = await startMicrosoftIdentityFake({
      clients: { [CLIENT.id]: { secret: CLIENT.secret, redirectUris: [CLIENT.redirect] } },
      now: () => now,
      accessTokenLifetimeSeconds: 300,
    });
    graph = await startMicrosoftGraphFake({
      identity,
      seed: SEED,
    });
    accessToken =
      (await signIn(identity, 'offline_access User.Read Files.Read Mail.Send Mail.Read')).access_token ?? '';
  });
  afterAll(async () => {
    await graph.close();
    await identity.close();
  });

  async function get(pathOrUrl: string, headers: Record<string, string> = {}): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${graph.baseUrl}/v1.0${pathOrUrl}`;
    return fetch(url, { headers: { authorization: `Bearer ${accessToken}`, ...headers } });
  }

  async function getJson<T = GraphPage>(pathOrUrl: string, headers: Record<string, string> = {}): Promise<T> {
    const res = await get(pathOrUrl, headers);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  async function collect(
    first: string,
    headers: Record<string, string> = {},
  ): Promise<{ items: Array<Record<string, unknown>>; pages: GraphPage[] }> {
    const pages: GraphPage[] = [];
    let next: string | undefined = first;
    while (next !== undefined) {
      const page: GraphPage = await getJson(next, headers);
      pages.push(page);
      next = page['@odata.nextLink'];
    }
    return { items: pages.flatMap((p) => p.value), pages };
  }

  it('is deterministic for a seed', async () => {
    const twin = await startMicrosoftGraphFake({
      identity,
      seed: SEED,
    });
    try {
      expect(twin.driveId).toBe(graph.driveId);
      expect(twin.listChildren('root').map((i) => [i.id, i.name, i.size])).toEqual(
        graph.listChildren('root').map((i) => [i.id, i.name, i.size]),
      );
    } finally {
      await twin.close();
    }
  });

  it('/me and /me/drive', async () => {
    const me = await getJson<Record<string, unknown>>('/me');
    expect(me).toMatchObject({ id: identity.user.oid, userPrincipalName: identity.user.preferredUsername });
    const drive = await getJson<Record<string, unknown>>('/me/drive');
    expect(drive).toMatchObject({ id: graph.driveId, driveType: 'business' });
  });

  it('follows nextLink over all children of a folder and sees every item exactly once', async () => {
    const folder = graph
      .listChildren('root')
      .filter((i) => i.folder !== undefined)
      .sort((a, b) => graph.listChildren(String(b.id)).length - graph.listChildren(String(a.id)).length)[0];
    const folderId = String(folder?.id);
    const expected = graph.listChildren(folderId).map((i) => String(i.id));
    expect(expected.length).toBeGreaterThan(200);

    const { items, pages } = await collect(`/me/drive/items/${folderId}/children`);
    expect(pages.length).toBe(Math.ceil(expected.length / 200));
    expect(pages[0]?.value.length).toBe(200);
    const nextLink = pages[0]?.['@odata.nextLink'] ?? '';
    expect(nextLink.startsWith(`${graph.baseUrl}/v1.0/`)).toBe(true);
    expect(new URL(nextLink).searchParams.get('$skiptoken')).toBeTruthy();
    const ids = items.map((i) => String(i.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...expected].sort());

    // $top and $select.
    const small = await collect(`/me/drive/items/${folderId}/children?$top=37&$select=id,name,size`);
    expect(small.pages[0]?.value.length).toBe(37);
    expect(small.items.map((i) => String(i.id)).sort()).toEqual([...expected].sort());
    expect(Object.keys(small.items[0] ?? {}).sort()).toEqual(['@odata.etag', 'id', 'name', 'size']);

    // driveItem shape.
    const file = items.find((i) => i.file !== undefined) ?? {};
    expect(file).toMatchObject({
      parentReference: { driveId: graph.driveId, id: folderId, path: expect.stringMatching(/^\/drive\/root:\//) },
      file: {
        mimeType: expect.any(String),
        hashes: { quickXorHash: expect.any(String), sha1Hash: expect.any(String) },
      },
      eTag: expect.any(String),
      cTag: expect.any(String),
      webUrl: expect.stringContaining('https://'),
    });
    const sub = graph.listChildren('root').find((i) => i.folder !== undefined) ?? {};
    const subJson = await getJson<Record<string, unknown>>(`/me/drive/items/${String(sub.id)}`);
    expect(subJson.folder).toEqual({ childCount: graph.listChildren(String(sub.id)).length });
    expect(subJson.parentReference).toMatchObject({ path: '/drive/root:' });
  });

  it('serves content: 302 to a download URL, bytes match the hashes, ranges work, unknown item is 404', async () => {
    const large = graph.listChildren('root').find((i) => String(i.name).startsWith('Large dataset')) ?? {};
    const res = await fetch(`${graph.baseUrl}/v1.0/me/drive/items/${String(large.id)}/content`, {
      headers: { authorization: `Bearer ${accessToken}` },
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    const download = await fetch(location);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(large.size);
    const hashes = (large.file as { hashes: { sha1Hash: string; quickXorHash: string } }).hashes;
    expect(createHash('sha1').update(bytes).digest('hex').toUpperCase()).toBe(hashes.sha1Hash);
    expect(quickXorHash(bytes)).toBe(hashes.quickXorHash);

    const ranged = await fetch(location, { headers: { range: 'bytes=70000-70099' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(bytes.subarray(70000, 70100));

    const missing = await get('/me/drive/items/01NOTAREALITEMID/children');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as GraphErrorBody).error.code).toBe('itemNotFound');
  });

  it('delta: pages to a deltaLink; after mutations the deltaLink returns only the changes, with deleted facets', async () => {
    const initial = await collect('/me/drive/root/delta?$top=150');
    expect(initial.pages.length).toBeGreaterThan(1);
    const last = initial.pages.at(-1);
    const deltaLink = last?.['@odata.deltaLink'] ?? '';
    expect(deltaLink.startsWith(`${graph.baseUrl}/v1.0/me/drive/root/delta?token=`)).toBe(true);
    const ids = initial.items.map((i) => String(i.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(graph.allItems().length + 1); // + the root
    expect(initial.items.some((i) => 'deleted' in i)).toBe(false);

    const folder = graph.listChildren('root').find((i) => i.folder !== undefined) ?? {};
    const [victim, renamed] = graph.listChildren(String(folder.id)).filter((i) => i.file !== undefined);
    now += 60_000;
    const added = graph.addFile(String(folder.id), { name: 'new-report.txt', content: 'hello delta' });
    graph.renameItem(String(renamed?.id), 'renamed.docx');
    graph.deleteItem(String(victim?.id));

    const changes = await collect(deltaLink);
    const byId = new Map(changes.items.map((i) => [String(i.id), i]));
    expect(byId.get(String(added.id))).toMatchObject({ name: 'new-report.txt', size: 11 });
    expect(byId.get(String(renamed?.id))).toMatchObject({ name: 'renamed.docx' });
    expect(byId.get(String(victim?.id))).toMatchObject({ deleted: { state: 'deleted' } });
    // Only the changed items and their parent folder, not the whole drive.
    expect(changes.items.length).toBeLessThan(10);
    expect(byId.has(String(folder.id))).toBe(true);

    const nextDelta = changes.pages.at(-1)?.['@odata.deltaLink'] ?? '';
    const quiet = await getJson(nextDelta);
    expect(quiet.value).toEqual([]);
    expect(quiet['@odata.deltaLink']).toBeTruthy();

    graph.invalidateDeltaTokens();
    const gone = await get(nextDelta);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as GraphErrorBody).error.code).toBe('resyncChangesApplyDifferences');
    // The Location starts a fresh enumeration of the whole drive.
    const restart = gone.headers.get('location') ?? '';
    expect(restart).toMatch(/\/v1\.0\/me\/drive\/root\/delta$/);
    const fresh = await collect(restart);
    expect(fresh.items.some((item) => item.id === victim?.id)).toBe(false);
    expect(fresh.items.some((item) => item.id === added.id)).toBe(true);
  });

  it('mail: paged messages, folder delta with @removed, sendMail 202', async () => {
    const first = await getJson('/me/messages');
    expect(first.value.length).toBe(10);
    expect(first['@odata.nextLink']).toContain('$skiptoken=');
    const all = await collect('/me/messages?$top=50&$select=subject,receivedDateTime');
    expect(all.items.length).toBe(graph.listMessages().length);
    expect(Object.keys(all.items[0] ?? {}).sort()).toEqual(['@odata.etag', 'id', 'receivedDateTime', 'subject']);

    const initial = await collect('/me/mailFolders/inbox/messages/delta');
    expect(initial.items.length).toBe(graph.listMessages('inbox').length);
    const deltaLink = initial.pages.at(-1)?.['@odata.deltaLink'] ?? '';
    expect(deltaLink).toContain('$deltatoken=');

    const gone = String(initial.items[0]?.id);
    graph.deleteMessage(gone);
    graph.addMessage({ subject: 'Fresh news' });
    const changes = await collect(deltaLink);
    expect(changes.items).toEqual(
      expect.arrayContaining([
        { '@odata.type': '#microsoft.graph.message', id: gone, '@removed': { reason: 'deleted' } },
        expect.objectContaining({ subject: 'Fresh news' }),
      ]),
    );
    expect(changes.items.length).toBe(2);

    graph.invalidateDeltaTokens();
    const expired = await get(String(changes.pages.at(-1)?.['@odata.deltaLink']));
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as GraphErrorBody).error.code).toBe('syncStateNotFound');

    const sent = await fetch(`${graph.baseUrl}/v1.0/me/sendMail`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        message: {
          subject: 'Hi',
          body: { contentType: 'Text', content: 'Hello' },
          toRecipients: [{ emailAddress: { address: 'adelev@contoso.com' } }],
        },
      }),
    });
    expect(sent.status).toBe(202);
    expect(graph.sentMail.at(-1)?.message.subject).toBe('Hi');
    expect(graph.listMessages('sentitems').some((m) => m.subject === 'Hi')).toBe(true);
  });

  it("mail: a move gives a message a new REST id but keeps its immutable id; both folders' deltas report it", async () => {
    const immutable = { prefer: 'odata.maxpagesize=20, IdType="ImmutableId"' };
    const deltaLinkOf = (pages: GraphPage[]) => String(pages.at(-1)?.['@odata.deltaLink']);
    const inboxRest = deltaLinkOf((await collect('/me/mailFolders/inbox/messages/delta')).pages);
    const inboxImmutable = deltaLinkOf((await collect('/me/mailFolders/inbox/messages/delta', immutable)).pages);
    const archiveImmutable = deltaLinkOf((await collect('/me/mailFolders/archive/messages/delta', immutable)).pages);
    const target = graph.listMessages('inbox')[0] as Record<string, unknown>;
    const immutableId = String(target.id);
    const restId = String(
      (await getJson<Record<string, unknown>>(`/me/messages/${encodeURIComponent(immutableId)}`)).id,
    );
    expect(restId).not.toBe(immutableId);

    const response = await fetch(`${graph.baseUrl}/v1.0/me/messages/${encodeURIComponent(restId)}/move`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ destinationId: 'archive' }),
    });
    expect(response.status).toBe(201);
    const moved = (await response.json()) as Record<string, unknown>;
    expect(moved.id).not.toBe(restId);
    expect(moved.parentFolderId).toBe(graph.mailFolderId('archive'));
    const oldRest = await get(`/me/messages/${encodeURIComponent(restId)}`);
    expect(oldRest.status).toBe(404);
    expect(((await oldRest.json()) as GraphErrorBody).error.code).toBe('ErrorItemNotFound');
    const byImmutable = await getJson<Record<string, unknown>>(
      `/me/messages/${encodeURIComponent(immutableId)}`,
      immutable,
    );
    expect(byImmutable).toMatchObject({ id: immutableId, parentFolderId: graph.mailFolderId('archive') });

    const removed = { '@odata.type': '#microsoft.graph.message', '@removed': { reason: 'deleted' } };
    expect((await collect(inboxRest)).items).toEqual([{ ...removed, id: restId }]);
    expect((await collect(inboxImmutable, immutable)).items).toEqual([{ ...removed, id: immutableId }]);
    expect((await collect(archiveImmutable, immutable)).items).toEqual([
      expect.objectContaining({ id: immutableId, parentFolderId: graph.mailFolderId('archive') }),
    ]);
  });

  it('events and OneNote', async () => {
    const events = await collect('/me/events');
    expect(events.items.length).toBe(graph.listEvents().length);
    expect(events.items[0]).toMatchObject({ start: { timeZone: 'UTC' }, end: { timeZone: 'UTC' } });
    const notebooks = await getJson('/me/onenote/notebooks');
    expect(notebooks.value.length).toBe(graph.listNotebooks().length);
    const pages = await collect('/me/onenote/pages');
    expect(pages.items.length).toBe(graph.listPages().length);
    const content = await get(`/me/onenote/pages/${String(pages.items[0]?.id)}/content`);
    expect(await content.text()).toContain('<html');
  });

  it('throttling: the next n requests get 429 with Retry-After', async () => {
    graph.throttleNext(2, 7);
    for (let i = 0; i < 2; i++) {
      const res = await get('/me');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(((await res.json()) as GraphErrorBody).error.code).toBe('TooManyRequests');
    }
    expect((await get('/me')).status).toBe(200);
    expect(graph.requests.filter((r) => r.throttled).length).toBe(2);
  });

  it('401 InvalidAuthenticationToken once the token expires (injected clock, no sleeping)', async () => {
    const fresh = (await signIn(identity, 'User.Read')).access_token ?? '';
    const ok = await fetch(`${graph.baseUrl}/v1.0/me`, { headers: { authorization: `Bearer ${fresh}` } });
    expect(ok.status).toBe(200);
    now += 301_000;
    const res = await fetch(`${graph.baseUrl}/v1.0/me`, {
      headers: { authorization: `Bearer ${fresh}`, 'client-request-id': 'abc-123' },
    });
    expect(res.status).toBe(401);
    const body = (await res.json()) as GraphErrorBody;
    expect(body).toEqual({
      error: {
        code: 'InvalidAuthenticationToken',
        message: 'Access token has expired or is not yet valid.',
        innerError: { date: expect.any(String), 'request-id': expect.any(String), 'client-request-id': 'abc-123' },
      },
    });
    const none = await fetch(`${graph.baseUrl}/v1.0/me`);
    expect(none.status).toBe(401);
    // A storage token is not a Graph token.
    const storage = await token(
      identity,
      { grant_type: 'client_credentials', scope: 'https://storage.azure.com/.default' },
      TENANT,
    );
    const wrongAud = await fetch(`${graph.baseUrl}/v1.0/me`, {
      headers: { authorization: `Bearer ${storage.body.access_token}` },
    });
    expect(wrongAud.status).toBe(401);
  });
});
