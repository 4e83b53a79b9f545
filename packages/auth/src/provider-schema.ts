import { z } from 'zod';

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
] as const;
export type SupportedAuthMode = (typeof supportedAuthModes)[number];

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const stringMap = z.record(z.string(), scalar);

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
  secret: z.boolean().optional(),
  default_value: scalar.optional(),
});
export type InputField = z.output<typeof inputField>;

const paginate = z.looseObject({
  type: z.enum(['cursor', 'link', 'offset'], { error: 'must be cursor, link or offset' }),
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
});

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

/** One providers.yaml entry (Nango's format; unknown fields are kept for forward compatibility). */
export const providerSchema = z.looseObject({
  display_name: z.string().optional(),
  auth_mode: z.string({ error: 'is required (OAUTH2, OAUTH2_CC, API_KEY, BASIC, NONE, …)' }),
  alias: z.string().optional(),
  authorization_url: z.string().optional(),
  token_url: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
  authorization_params: stringMap.optional(),
  token_params: stringMap.optional(),
  refresh_params: stringMap.optional(),
  refresh_url: z.string().optional(),
  default_scopes: z.array(z.string(), { error: 'must be a list of scope strings' }).optional(),
  /** Weft extension: always requested (Microsoft's offline_access); integrations that drop one get a warning. */
  required_scopes: z.array(z.string(), { error: 'must be a list of scope strings' }).optional(),
  scope_separator: z.string().optional(),
  disable_pkce: z.boolean({ error: 'must be true or false' }).optional(),
  body_format: z.enum(['form', 'json']).optional(),
  connection_config: z.record(z.string(), inputField).optional(),
  credentials: z.record(z.string(), inputField).optional(),
  proxy: z
    .looseObject({
      base_url: z.string().optional(),
      headers: stringMap.optional(),
      query: z.looseObject({ api_key: z.string().optional() }).optional(),
      retry: z
        .looseObject({
          at: z.union([z.string(), z.array(z.string())]).optional(),
          after: z.union([z.string(), z.array(z.string())]).optional(),
        })
        .optional(),
      paginate: paginate.optional(),
      decompress: z.boolean().optional(),
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
export type ProviderPaginate = z.output<typeof paginate>;
