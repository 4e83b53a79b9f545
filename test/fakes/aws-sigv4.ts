import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenOnLoopback } from './listen-loopback.js';

/**
 * AWS Signature Version 4 checked from the public spec (docs.aws.amazon.com/IAM/latest/UserGuide/
 * create-signed-request.html), independently of the signer under test: canonical request (method,
 * URI, sorted encoded query, signed headers, payload hash), string to sign, the
 * AWS4/date/region/service/aws4_request key chain; `x-amz-date` within 15 minutes.
 * Serves STS `AssumeRole` (docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html: form
 * body, XML answer; AccessDenied 403 when the role no longer trusts the caller or the external id
 * is wrong) and one API route (`GET /items`) that needs the temporary credentials and their
 * `x-amz-security-token`; expired or unknown keys get 403 `ExpiredToken`/`InvalidClientTokenId`.
 */
export interface AwsFake {
  url: string;
  owner: { accessKeyId: string; secretAccessKey: string };
  roleArn: string;
  /** External ids AssumeRole received. */
  externalIds: string[];
  assumed: number;
  /** Lifetime (seconds) of the next temporary credentials. */
  nextLifetimeSeconds: number;
  calls: Array<{ path: string; region: string; service: string }>;
  /** The customer removes the trust policy: AssumeRole fails, issued keys stop working. */
  revokeRole(): void;
  close(): Promise<void>;
}

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const enc = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function verify(
  req: IncomingMessage,
  body: string,
  secretFor: (accessKeyId: string) => string | undefined,
): { ok: true; accessKeyId: string; region: string; service: string } | { ok: false; reason: string } {
  const auth =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      String(req.headers.authorization ?? ''),
    );
  if (auth === null) return { ok: false, reason: 'IncompleteSignature' };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = auth as unknown as string[];
  const secret = secretFor(accessKeyId as string);
  if (secret === undefined) return { ok: false, reason: 'InvalidClientTokenId' };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const when = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!Number.isFinite(when) || Math.abs(Date.now() - when) > 15 * 60_000 || !amzDate.startsWith(date as string))
    return { ok: false, reason: 'SignatureDoesNotMatch (date)' };
  const url = new URL(req.url ?? '/', 'http://fake');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = (signedHeaders as string).split(';');
  if (!names.includes('host')) return { ok: false, reason: 'host not signed' };
  const headers = names
    .map(
      (name) =>
        `${name}:${String(req.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? hex(body));
  const canonical = [
    req.method,
    url.pathname.split('/').map(enc).join('/'),
    query,
    headers,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonical)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${secret}`, date as string), region as string), service as string),
    'aws4_request',
  );
  if (createHmac('sha256', key).update(toSign).digest('hex') !== signature)
    return { ok: false, reason: 'SignatureDoesNotMatch' };
  return { ok: true, accessKeyId: accessKeyId as string, region: region as string, service: service as string };
}

export async function startAwsFake(): Promise<AwsFake> {
  const owner = {
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(20).toString('base64'),
  };
  const temporary = new Map<string, { secret: string; token: string; expires: number }>();
  let trusted = true;
  const fake: AwsFake = {
    url: '',
    owner,
    roleArn: 'arn:aws:iam::123456789012:role/WeftAccess',
    externalIds: [],
    assumed: 0,
    nextLifetimeSeconds: 3600,
    calls: [],
    revokeRole: () => {
      trusted = false;
      temporary.clear();
    },
    close: async () => {},
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const xmlError = (status: number, code: string) =>
      res
        .writeHead(status, { 'content-type': 'text/xml' })
        .end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${code}</Message></Error></ErrorResponse>`,
        );
    if (req.method === 'POST' && new URL(req.url ?? '/', 'http://fake').pathname === '/sts/') {
      const check = verify(req, body, (id) => (id === owner.accessKeyId ? owner.secretAccessKey : undefined));
      if (!check.ok) return xmlError(403, check.reason);
      if (check.service !== 'sts') return xmlError(403, 'SignatureDoesNotMatch (service)');
      const form = new URLSearchParams(body);
      if (form.get('Action') !== 'AssumeRole' || form.get('Version') !== '2011-06-15')
        return xmlError(400, 'InvalidAction');
      fake.externalIds.push(form.get('ExternalId') ?? '');
      if (!trusted || form.get('RoleArn') !== fake.roleArn) return xmlError(403, 'AccessDenied');
      fake.assumed++;
      const id = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
      const secret = randomBytes(20).toString('base64');
      const token = randomBytes(48).toString('base64');
      const expires = Date.now() + fake.nextLifetimeSeconds * 1000;
      fake.nextLifetimeSeconds = 3600;
      temporary.set(id, { secret, token, expires });
      return res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${id}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${token}</SessionToken><Expiration>${new Date(expires).toISOString()}</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`,
        );
    }
    const check = verify(req, body, (id) => temporary.get(id)?.secret);
    if (!check.ok) return xmlError(403, check.reason);
    const creds = temporary.get(check.accessKeyId);
    if (creds === undefined || creds.expires < Date.now()) return xmlError(403, 'ExpiredToken');
    if (req.headers['x-amz-security-token'] !== creds.token) return xmlError(403, 'InvalidToken');
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    fake.calls.push({ path, region: check.region, service: check.service });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ items: [{ id: 'i1' }], key: check.accessKeyId }));
  });
  Object.assign(fake, await listenOnLoopback(server));
  return fake;
}
