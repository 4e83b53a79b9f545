import { GRAPH_WEBHOOK_ROUTING_SCRIPTS } from './graph-webhook-routing.js';
import { nangoPostConnectionSteps } from './nango-post-connection.js';
import { type ProviderDefinition, type ProviderSupport, supportedAuthModes } from './provider-schema.js';
import { webhookRoutingRuleOf } from './webhook-routing-rule.js';

/** A field of an entry that Nango acts on and Weft does not: a warning at start (file:line, entry, field). */
export interface ProviderFieldWarning {
  /** Dotted path inside the entry (`post_connection_script`, `proxy.retry.in_body`). */
  field: string;
  reason: string;
}

/** Auth modes Weft leaves out on purpose (README "Providers catalogue"), with the reason shown on use. */
const excludedModes: Readonly<Record<string, string>> = {
  MCP_OAUTH2:
    'auth mode MCP_OAUTH2 (OAuth for MCP servers, with dynamic client registration) is not supported: Weft runs integration scripts, not MCP clients',
  MCP_OAUTH2_GENERIC:
    'auth mode MCP_OAUTH2_GENERIC (OAuth for MCP servers) is not supported: Weft runs integration scripts, not MCP clients',
  INSTALL_PLUGIN:
    'auth mode INSTALL_PLUGIN (a plugin the end user installs in their own instance, which calls back) is not supported',
};

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** The post-connection steps an entry gets: its own `post_connection`, else the equivalent of its Nango script. */
export function postConnectionStepsOf(
  provider: ProviderDefinition,
): readonly NonNullable<ProviderDefinition['post_connection']>[number][] {
  if (provider.post_connection !== undefined) return provider.post_connection;
  const script = provider.post_connection_script;
  return (script !== undefined ? nangoPostConnectionSteps[script] : undefined) ?? [];
}

/**
 * What Weft does with one resolved entry: the fields Nango acts on that Weft ignores (warnings)
 * and whether connections can be made at all. Fields not listed here are either acted on
 * (auth, token and proxy fields), recorded for other features (webhook_response_metadata,
 * categories, docs, …) or belong to an auth mode, whose support decides for them.
 */
export function analyzeProvider(provider: ProviderDefinition): {
  warnings: ProviderFieldWarning[];
  support: ProviderSupport;
} {
  const warnings: ProviderFieldWarning[] = [];
  const blockers: string[] = [];
  const script = provider.post_connection_script;
  const hasEquivalent =
    provider.post_connection !== undefined || (script !== undefined && script in nangoPostConnectionSteps);
  if (script !== undefined && !hasEquivalent) {
    // Not a blocker: what the script would fill can be passed as connection_config (connect
    // session defaults or the connection import), as for Nango's `automated` fields.
    warnings.push({
      field: 'post_connection_script',
      reason: `Nango runs ${script} after connecting to fill connection_config; Weft has no equivalent, so pass those values as connection_config`,
    });
  }
  if (provider.pre_connection_deletion_script !== undefined) {
    warnings.push({
      field: 'pre_connection_deletion_script',
      reason: `Nango runs ${provider.pre_connection_deletion_script} before deleting a connection; Weft deletes without it`,
    });
  }
  if (provider.credentials_verification_script !== undefined) {
    warnings.push({
      field: 'credentials_verification_script',
      reason: `Nango checks new credentials with ${provider.credentials_verification_script}; Weft checks only proxy.verification`,
    });
  }
  if (
    provider.webhook_routing_script !== undefined &&
    webhookRoutingRuleOf(provider) === undefined &&
    !GRAPH_WEBHOOK_ROUTING_SCRIPTS.includes(provider.webhook_routing_script)
  ) {
    warnings.push({
      field: 'webhook_routing_script',
      reason: `recorded (${provider.webhook_routing_script}); Weft has no equivalent routing rule, so its inbound webhooks are stored and forwarded but not routed to connections (declare webhook_routing)`,
    });
  }
  for (const group of ['connection_config', 'credentials'] as const) {
    for (const [name, spec] of Object.entries(provider[group] ?? {})) {
      if (spec.pattern !== undefined && !compiles(spec.pattern)) {
        warnings.push({
          field: `${group}.${name}.pattern`,
          reason: 'not a valid JavaScript regular expression, so values are not checked against it',
        });
      }
    }
  }
  if (provider.proxy?.verification?.data !== undefined) {
    warnings.push({
      field: 'proxy.verification.data',
      reason: 'the verification request is sent without this body; a provider that needs it refuses the credentials',
    });
  }
  if (provider.proxy?.retry?.in_body !== undefined) {
    warnings.push({
      field: 'proxy.retry.in_body',
      reason: 'retry delays read from response bodies are not used; Retry-After and proxy.retry.at/after are',
    });
  }
  if (provider.proxy?.retry?.remaining !== undefined) {
    warnings.push({
      field: 'proxy.retry.remaining',
      reason: 'the remaining-requests header is not used to pace calls; 429s and proxy.retry.at/after are',
    });
  }
  if (provider.proxy?.forward_headers_on_redirect === true) {
    warnings.push({
      field: 'proxy.forward_headers_on_redirect',
      reason: 'credentials are never forwarded to another origin on a redirect',
    });
  }
  if (provider.require_client_certificate === true) {
    const reason = 'the provider requires a TLS client certificate (mutual TLS), which Weft does not send';
    warnings.push({ field: 'require_client_certificate', reason });
    blockers.push(reason);
  }
  const mode = provider.auth_mode;
  if (!(supportedAuthModes as readonly string[]).includes(mode)) {
    return {
      warnings,
      support: { supported: false, reason: excludedModes[mode] ?? `auth mode ${mode} is not supported yet` },
    };
  }
  if (blockers.length > 0) return { warnings, support: { supported: false, reason: blockers.join('; ') } };
  return { warnings, support: { supported: true } };
}
