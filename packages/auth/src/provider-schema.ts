import { z } from 'zod';
import { webhookRoutingRuleSchema } from './webhook-routing-rule.js';

/** Auth modes Weft can create connections for; others load (Nango's catalogue has them) but are refused on use. */
export const supportedAuthModes = [
  'OAUTH2',
  'OAUTH2_CC',
  'API_KEY',
  'BASIC',
  'NONE',
  'TWO_STEP',
  'JWT',
  'OAUTH1',
  'SIGNATURE',
  'BILL',
  'TBA',
  'AWS_SIGV4',
  'APP',
  'CUSTOM',
] as const;
export type SupportedAuthMode = (typeof supportedAuthModes)[number];

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const stringMap = z.record(z.string(), scalar);

/** A request-body value: a (templated) scalar or a nested map of them (Nango's `ProxyBodyValue`). */
export type BodyValue = string | { [key: string]: BodyValue };
const bodyValue: z.ZodType<BodyValue, unknown> = z.lazy(() =>
  z.union([scalar, z.record(z.string(), bodyValue)], { error: 'must be a string, number, boolean or a map of them' }),
);
/** token_params and the like: flat in OAuth2 entries, nested in Nango's XML/JSON TWO_STEP bodies (sage-intacct, tableau). */
const bodyMap = z.record(z.string(), bodyValue);
const stringList = z.array(z.string(), { error: 'must be a list of strings' });
const stringOrList = z.union([z.string(), stringList]);

/** A field the end user (or the connect flow) supplies: `connection_config.tenant`, `credentials.apiKey`, … */
const inputField = z.looseObject({
  type: z.string().optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  example: scalar.optional(),
  pattern: z.string().optional(),
  format: z.string().optional(),
  optional: z.boolean().optional(),
  automated: z.boolean().optional(),
  secret: z.union([z.boolean(), z.string()]).optional(),
  default_value: scalar.optional(),
  hidden: z.union([z.boolean(), z.string()]).optional(),
  order: z.number().optional(),
  enum: z.array(scalar).optional(),
});
export type InputField = z.output<typeof inputField>;

const paginate = z.looseObject({
  type: z.enum(['cursor', 'link', 'offset'], { error: 'must be cursor, link or offset' }),
  // Nango's pagination types allow any of these on any type (whoop's cursor uses offset_name_in_request).
  limit_name_in_request: z.string().optional(),
  response_path: z.string().optional(),
  cursor_path_in_response: z.string().optional(),
  cursor_name_in_request: z.string().optional(),
  link_rel_in_response_header: z.string().optional(),
  link_path_in_response_body: z.string().optional(),
  offset_name_in_request: z.string().optional(),
  offset_start_value: z.number().optional(),
  offset_calculation_method: z.enum(['per-page', 'by-response-size']).optional(),
});

const verification = z.looseObject({
  method: z.string().optional(),
  endpoints: z.array(z.string()).optional(),
  endpoint: z.string().optional(),
  base_url_override: z.string().optional(),
  headers: stringMap.optional(),
  /** JSON body of the verification request (Nango: `proxy.verification.data`). */
  data: z.unknown().optional(),
});

/**
 * One step run after a connection is created (and its credentials stored), filling
 * connection_config the way Nango's `post_connection_script`s do, declared as data:
 * - `claim`: a claim of the access token (a JWT, read without verification: we just received it
 *   from the provider's token endpoint), e.g. Microsoft's `tid` → `tenantId`;
 * - `request`: a GET (or `method`) through the provider's API with the new credentials, then
 *   `pick` maps connection_config keys to dotted paths in the JSON answer (`accounts.0.id`).
 * A step that fails is reported in the connection's auth event, never fatal.
 */
const postConnectionStep = z.union([
  z.object({ claim: z.string().min(1), as: z.string().min(1) }),
  z.object({
    request: z.object({
      method: z.string().optional(),
      endpoint: z.string().min(1),
      /** Another origin of the provider (e.g. `https://login.mailchimp.com`); templated. */
      base_url_override: z.string().optional(),
      headers: stringMap.optional(),
      /** JSON body (GraphQL queries). */
      data: z.unknown().optional(),
    }),
    pick: z.record(z.string(), z.string().min(1)),
  }),
  /** `as` = first capture group of `pattern` in connection_config[from] (or the raw token response's). */
  z.object({ derive: z.string().min(1), pattern: z.string().min(1), as: z.string().min(1) }),
]);
export type PostConnectionStep = z.output<typeof postConnectionStep>;

/**
 * A token for another resource obtained with the same refresh token (Weft extension, declared as
 * data instead of code): e.g. SharePoint's `https://<tenant>.sharepoint.com/.default` token,
 * stored in `connection_config[name]`, fetched after connect and at every refresh.
 */
const secondaryToken = z.object({
  name: z.string().min(1),
  scope: z.string().min(1),
  /** Read a value from the API first (relative to proxy.base_url) and keep it in connection_config[as]. */
  discover: z
    .object({ endpoint: z.string().min(1), response_path: z.string().min(1), as: z.string().min(1) })
    .optional(),
  /** Only when every one of these scopes was granted to the integration. */
  when_scopes_include: z.array(z.string()).optional(),
  /**
   * Host (templated, e.g. `${connectionConfig.sharepointHost}`) the proxy sends this token to as
   * `Authorization: Bearer …`: scripts call it with `baseUrlOverride` and never see the token.
   */
  proxy_host: z.string().min(1).optional(),
});

/**
 * One providers.yaml entry: Nango's format (every field `@nangohq/types`' `Provider` declares, typed,
 * so a wrong-typed field stops start-up), plus Weft's extensions. Unknown fields are kept.
 * Which fields Weft acts on, records or ignores (with a warning) is in provider-fields.ts.
 */
export const providerSchema = z.looseObject({
  display_name: z.string().optional(),
  auth_mode: z.string({ error: 'is required (OAUTH2, OAUTH2_CC, API_KEY, BASIC, NONE, …)' }),
  alias: z.string().optional(),
  authorization_url: z.string().optional(),
  token_url: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
  authorization_params: stringMap.optional(),
  token_params: bodyMap.optional(),
  refresh_params: stringMap.optional(),
  refresh_url: z.string().optional(),
  /** Token-response fields copied into connection_config (dotted paths, e.g. Salesforce's `instance_url`). */
  token_response_metadata: stringList.optional(),
  /** Callback query parameters copied into connection_config (QuickBooks' `realmId`). */
  redirect_uri_metadata: stringList.optional(),
  webhook_response_metadata: stringList.optional(),
  /** Where the client id/secret go in token requests: `body` (default) or `header` (HTTP Basic only). */
  authorization_method: z.enum(['body', 'header'], { error: 'must be body or header' }).optional(),
  /** `basic`: also an HTTP Basic header (Nango sends both); `custom`: as username/password; `private_key_jwt`. */
  token_request_auth_method: z
    .enum(['basic', 'custom', 'private_key_jwt'], { error: 'must be basic, custom or private_key_jwt' })
    .optional(),
  alternate_access_token_response_path: z.string().optional(),
  expires_in_unit: z.literal('milliseconds', { error: 'must be milliseconds' }).optional(),
  token_expiration_buffer: z.number({ error: 'must be a number of seconds' }).optional(),
  authorization_url_replacements: stringMap.optional(),
  authorization_url_skip_encode: stringList.optional(),
  authorization_url_skip_empty: z.boolean({ error: 'must be true or false' }).optional(),
  authorization_url_fragment: z.string().optional(),
  authorization_code_param_in_callback: z.string().optional(),
  token_url_skip_encode: stringList.optional(),
  post_connection_script: z.string().optional(),
  pre_connection_deletion_script: z.string().optional(),
  credentials_verification_script: z.string().optional(),
  webhook_routing_script: z.string().optional(),
  /** Weft extension: how inbound provider webhooks are routed, as data (webhook-routing-rule.ts). */
  webhook_routing: webhookRoutingRuleSchema.optional(),
  webhook_user_defined_secret: z.boolean({ error: 'must be true or false' }).optional(),
  webhook_allowed_query_params: stringList.optional(),
  authorization_code_param_in_webhook: z.string().optional(),
  categories: stringList.optional(),
  connection_configuration: stringList.optional(),
  available_scopes: stringList.optional(),
  docs_connect: z.string().optional(),
  setup_guide_url: z.string().optional(),
  require_client_certificate: z.boolean({ error: 'must be true or false' }).optional(),
  installation: z.string().optional(),
  integration_config: z.record(z.string(), inputField).optional(),
  assertion_option: z.record(z.string(), inputField).optional(),
  /** Weft extension: what Nango's post_connection_script does, as data (see postConnectionStep). */
  post_connection: z.array(postConnectionStep).optional(),
  default_scopes: z.array(z.string(), { error: 'must be a list of scope strings' }).optional(),
  /** Weft extension: always requested (Microsoft's offline_access); integrations that drop one get a warning. */
  required_scopes: z.array(z.string(), { error: 'must be a list of scope strings' }).optional(),
  scope_separator: z.string().optional(),
  disable_pkce: z.boolean({ error: 'must be true or false' }).optional(),
  /** Token request body: form (default), json, query (parameters in the URL, OAUTH2_CC), xml (TWO_STEP). */
  body_format: z.enum(['form', 'json', 'query', 'xml'], { error: 'must be form, json, query or xml' }).optional(),
  connection_config: z.record(z.string(), inputField).optional(),
  credentials: z.record(z.string(), inputField).optional(),
  proxy: z
    .looseObject({
      base_url: z.string().optional(),
      headers: stringMap.optional(),
      /** Query parameters added to every call (templated: `${apiKey}`, `${connectionConfig.x}`, …). */
      query: stringMap.optional(),
      /** Values merged into every JSON request body (templated; unresolved leaves are dropped). */
      body: bodyMap.optional(),
      connection_config: stringMap.optional(),
      retry: z
        .looseObject({
          at: stringOrList.optional(),
          after: stringOrList.optional(),
          /** Statuses retried besides 429/5xx (`5xx` = any 5xx). */
          error_code: z.array(scalar).optional(),
          remaining: z.string().optional(),
          in_body: z.looseObject({ path: z.string(), value: z.string(), strategy: z.string() }).optional(),
        })
        .optional(),
      paginate: paginate.optional(),
      decompress: z.boolean().optional(),
      forward_headers_on_redirect: z.boolean().optional(),
      verification: verification.optional(),
      /**
       * Weft extension: other origins of the same provider (templated) that may receive the
       * connection's credentials when a script sets `baseUrlOverride` — e.g. Microsoft's Graph and
       * OneDrive hosts. Any other override gets no credentials.
       */
      trusted_origins: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  verification: verification.optional(),
  secondary_tokens: z.array(secondaryToken).optional(),
  docs: z.string().optional(),
});

export type ProviderDefinition = z.output<typeof providerSchema>;

/** Whether Weft can create connections for an entry, and why not (GET /providers `weft`). */
export interface ProviderSupport {
  supported: boolean;
  reason?: string;
}
export type ProviderPaginate = z.output<typeof paginate>;
