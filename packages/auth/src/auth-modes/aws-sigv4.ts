import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ModeCredentials } from '../credentials.js';
import { interpolate } from '../interpolate.js';
import {
  type AuthModeHandler,
  invalidInput,
  type ModeContext,
  type ModeResult,
  type RequestToSign,
} from './auth-mode.js';
import { absoluteExpiry, callModeEndpoint } from './mode-http.js';

/** SHA-256 (HMAC when keyed) for AWS's signer, on node:crypto. */
class NodeSha256 {
  private hash;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined
      ? createHash('sha256')
      : createHmac(
          'sha256',
          typeof this.secret === 'string'
            ? this.secret
            : ArrayBuffer.isView(this.secret)
              ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
              : Buffer.from(this.secret),
        );
  }
  update(data: Uint8Array | string): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** Headers AWS's signer produced for one request (host, x-amz-date, security token, authorization). */
async function sigv4Headers(
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  scope: { region: string; service: string },
  request: RequestToSign,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials, region: scope.region, service: scope.service, sha256: NodeSha256 });
  const headers: Record<string, string> = { host: request.url.host };
  for (const [name, value] of Object.entries(request.headers)) {
    // Sign what identifies the call (content type, x-amz-*), not hop-specific headers.
    if (name === 'content-type' || name.startsWith('x-amz-')) headers[name] = value;
  }
  const payload = request.body === 'stream' ? undefined : request.body;
  if (request.body === 'stream') headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  const signed = await signer.sign({
    method: request.method,
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    ...(request.url.port ? { port: Number(request.url.port) } : {}),
    path: request.url.pathname,
    query: Object.fromEntries(request.url.searchParams),
    headers,
    ...(payload === undefined ? {} : { body: payload }),
  });
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host') continue; // the HTTP client sets it from the URL (same value)
    if (lower === 'authorization' || lower.startsWith('x-amz-')) out[lower] = String(value);
  }
  return out;
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

/**
 * STS AssumeRole (docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html) with the
 * integration's own access key (client_id/client_secret): temporary credentials for the role the
 * end user's account trusts, with the connection's external id.
 */
async function assumeRole(ctx: ModeContext, roleArn: string, externalId: string): Promise<ModeResult> {
  const { clientId, clientSecret } = ctx.integration;
  if (!clientId || !clientSecret)
    throw invalidInput('the integration has no AWS access key (client_id) and secret (client_secret) to call STS with');
  const region = String(ctx.connectionConfig.region ?? '');
  const service = String(ctx.connectionConfig.service ?? '');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw invalidInput('connection_config.region must be an AWS region');
  if (!/^[a-z0-9-]+$/.test(service)) throw invalidInput('connection_config.service must name the AWS service');
  const template = (ctx.provider as { sts_url?: unknown }).sts_url;
  const stsUrl =
    (typeof template === 'string' ? interpolate(template, { connectionConfig: ctx.connectionConfig }) : undefined) ??
    `https://sts.${region}.amazonaws.com/`;
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: roleArn,
    ExternalId: externalId,
    RoleSessionName: `weft-${randomBytes(8).toString('hex')}`,
    DurationSeconds: '3600',
  }).toString();
  const contentType = 'application/x-www-form-urlencoded; charset=utf-8';
  const signed = await sigv4Headers(
    { accessKeyId: clientId, secretAccessKey: clientSecret },
    { region, service: 'sts' },
    { method: 'POST', url: new URL(stsUrl), body, headers: { 'content-type': contentType } },
  );
  const answer = await callModeEndpoint({
    url: stsUrl,
    headers: { ...signed, 'content-type': contentType, accept: 'application/xml' },
    body,
  });
  const xml = typeof answer.data === 'string' ? answer.data : '';
  const accessKeyId = tag(xml, 'AccessKeyId');
  const secretAccessKey = tag(xml, 'SecretAccessKey');
  const sessionToken = tag(xml, 'SessionToken');
  if (!accessKeyId || !secretAccessKey || !sessionToken) throw invalidInput('STS answered without credentials');
  const credentials: ModeCredentials = {
    type: 'AWS_SIGV4',
    role_arn: roleArn,
    external_id: externalId,
    region,
    service,
    access_key_id: accessKeyId,
    secret_access_key: secretAccessKey,
    session_token: sessionToken,
    expires_at: absoluteExpiry(tag(xml, 'Expiration')) ?? new Date(Date.now() + 3_600_000).toISOString(),
  };
  return { credentials, connectionConfig: { external_id: externalId } };
}

/**
 * AWS_SIGV4: the end user gives the ARN of a role that trusts the integration's AWS account (with
 * the connection's external id); Weft assumes it through STS, renews the temporary credentials
 * before they expire, and signs every request with AWS's own signer (@smithy/signature-v4).
 */
export const awsSigV4Mode: AuthModeHandler = {
  mode: 'AWS_SIGV4',
  connect: (ctx, entered) =>
    assumeRole(
      ctx,
      String(entered.role_arn ?? ''),
      typeof ctx.connectionConfig.external_id === 'string' && ctx.connectionConfig.external_id !== ''
        ? ctx.connectionConfig.external_id
        : randomUUID(),
    ),
  refresh: (ctx, current) => assumeRole(ctx, String(current.role_arn), String(current.external_id)),
  sign: (connection, request) => {
    const c = connection.credentials;
    return sigv4Headers(
      {
        accessKeyId: String(c.access_key_id),
        secretAccessKey: String(c.secret_access_key),
        sessionToken: String(c.session_token),
      },
      { region: String(c.region), service: String(c.service) },
      request,
    );
  },
  headers: () => ({}),
};
