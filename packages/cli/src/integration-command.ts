import { readFileSync } from 'node:fs';
import type { IntegrationJson } from '@weft/server';
import type { Command } from 'commander';
import { type ApiClientOptions, apiClient } from './api-client.js';

function describe(i: IntegrationJson): string[] {
  const lines = [
    `${i.unique_key}  (${i.provider}, ${i.auth_mode})  ${i.display_name}`,
    ...(i.credentials
      ? [
          `  client id: ${i.credentials.client_id}`,
          `  scopes: ${i.credentials.scopes?.split(',').join(' ') || '(provider defaults)'}`,
          ...(i.credentials.app_id ? [`  app id: ${i.credentials.app_id}`] : []),
        ]
      : []),
    ...(i.client_secret_expires_at ? [`  client secret expires: ${i.client_secret_expires_at}`] : []),
    ...i.warnings.map((w) => `  warning: ${w}`),
  ];
  return lines;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function keyValues(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      return at === -1 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** The API body fields the create/update options map to. */
function optionsBody(o: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const str = (key: string) => (typeof o[key] === 'string' ? (o[key] as string) : undefined);
  const credentials = {
    ...(str('clientId') ? { client_id: str('clientId') } : {}),
    ...(str('clientSecret') ? { client_secret: str('clientSecret') } : {}),
    ...(str('scopes') ? { scopes: str('scopes') } : {}),
    // CUSTOM (github-app-oauth): the GitHub App besides its OAuth client. The key is read from a
    // file so it never sits in shell history or the process list.
    ...(str('appId') ? { app_id: str('appId') } : {}),
    ...(str('privateKeyFile') ? { private_key: readFileSync(str('privateKeyFile') as string, 'utf8') } : {}),
    ...(str('appLink') ? { app_link: str('appLink') } : {}),
  };
  const params = keyValues(Array.isArray(o.authorizationParam) ? o.authorizationParam : undefined);
  return {
    ...(str('displayName') ? { display_name: str('displayName') } : {}),
    ...(Object.keys(credentials).length > 0 ? { credentials } : {}),
    ...(str('secretExpiresAt') ? { client_secret_expires_at: str('secretExpiresAt') } : {}),
    ...(params ? { authorization_params: params } : {}),
  };
}

/** `weft integration create|list|show|update|delete` over the REST API. */
export function registerIntegrationCommands(
  program: Command,
  out: (line: string) => void,
  run: (fn: () => Promise<void>) => Promise<void>,
): void {
  const group = program
    .command('integration')
    .description('Manage integrations (a provider from providers.yaml bound to your OAuth app)')
    .option('--api-url <url>', 'Weft API URL (or WEFT_API_URL)', undefined)
    .option('--secret-key <key>', 'secret key (or WEFT_SECRET_KEY)', undefined);
  const client = () => apiClient(group.opts<ApiClientOptions>());

  group
    .command('create <unique-key> <provider>')
    .description(
      'Create an integration, e.g. `weft integration create my-onedrive one-drive-personal --client-id … --client-secret …`',
    )
    .option('--client-id <id>')
    .option('--client-secret <secret>')
    .option('--scopes <scopes>', 'comma or space separated (default: the provider defaults)')
    .option('--display-name <name>')
    .option('--secret-expires-at <iso>', 'client secret expiry, to be warned 30 days ahead')
    .option('--app-id <id>', 'GitHub App id (github-app-oauth, with the app OAuth --client-id/--client-secret)')
    .option('--private-key-file <path>', 'GitHub App private key, PEM file (github-app-oauth)')
    .option('--app-link <url>', 'https://github.com/apps/<slug> (github-app-oauth)')
    .option(
      '--authorization-param <key=value>',
      'extra authorization parameter (repeatable), e.g. prompt=consent',
      collect,
    )
    .action((uniqueKey: string, provider: string, o: Record<string, string | string[] | undefined>) =>
      run(async () => {
        const body = { unique_key: uniqueKey, provider, ...optionsBody(o) };
        const { data } = await client()<{ data: IntegrationJson }>('POST', '/integrations', body);
        out(`Created integration ${data.unique_key}`);
        for (const line of describe(data)) out(line);
      }),
    );

  group
    .command('list')
    .description('List integrations with warnings (e.g. client secrets expiring within 30 days)')
    .action(() =>
      run(async () => {
        const { data } = await client()<{ data: IntegrationJson[] }>('GET', '/integrations');
        if (data.length === 0) out('No integrations yet: `weft integration create <key> <provider> …`');
        for (const i of data) for (const line of describe(i)) out(line);
      }),
    );

  group.command('show <unique-key>').action((uniqueKey: string) =>
    run(async () => {
      const { data } = await client()<{ data: IntegrationJson }>(
        'GET',
        `/integrations/${encodeURIComponent(uniqueKey)}`,
      );
      for (const line of describe(data)) out(line);
    }),
  );

  group
    .command('update <unique-key>')
    .option('--client-id <id>')
    .option('--client-secret <secret>')
    .option('--scopes <scopes>')
    .option('--display-name <name>')
    .option('--secret-expires-at <iso>')
    .option('--app-id <id>')
    .option('--private-key-file <path>')
    .option('--app-link <url>')
    .action((uniqueKey: string, o: Record<string, string | string[] | undefined>) =>
      run(async () => {
        const body = optionsBody(o);
        const { data } = await client()<{ data: IntegrationJson }>(
          'PATCH',
          `/integrations/${encodeURIComponent(uniqueKey)}`,
          body,
        );
        out(`Updated integration ${data.unique_key}`);
        for (const line of describe(data)) out(line);
      }),
    );

  group
    .command('delete <unique-key>')
    .description('Delete the integration with its connections and their records')
    .action((uniqueKey: string) =>
      run(async () => {
        await client()('DELETE', `/integrations/${encodeURIComponent(uniqueKey)}`);
        out(`Deleted integration ${uniqueKey}`);
      }),
    );
}
