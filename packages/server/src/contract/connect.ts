import { z } from 'zod';
import { timestamp } from './shared.js';

/** Connect sessions: Nango's `PostConnectSessions` and `PostPublicConnectSessionsReconnect`. */

const endUserInput = z.looseObject({
  id: z.string({ error: 'end_user.id is required' }).min(1),
  email: z.string().optional(),
  display_name: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

const organization = z.looseObject({ id: z.string().min(1), display_name: z.string().optional() });

const configDefaults = z.record(
  z.string(),
  z.object({
    connection_config: z.record(z.string(), z.string()).optional(),
    authorization_params: z.record(z.string(), z.string()).optional(),
  }),
);

/** Cosmetic per-integration overrides of Nango's connect UI (documentation links): accepted, unused. */
const overrides = z.record(z.string(), z.object({ docs_connect: z.string().optional() }));

export const connectSessionBody = z
  .object({
    end_user: endUserInput,
    organization: organization.optional(),
    allowed_integrations: z.array(z.string().min(1)).optional(),
    integrations_config_defaults: configDefaults.optional(),
    /** Nango's tags of the end user; stored with the end user. */
    tags: z.record(z.string(), z.string()).optional(),
    overrides: overrides.optional(),
  })
  .strict();

export const reconnectSessionBody = z
  .object({
    connection_id: z.string({ error: 'connection_id is required' }).min(1),
    integration_id: z.string({ error: 'integration_id is required' }).min(1),
    end_user: endUserInput.optional(),
    organization: organization.optional(),
    integrations_config_defaults: configDefaults.optional(),
    tags: z.record(z.string(), z.string()).optional(),
    overrides: overrides.optional(),
  })
  .strict();

export const connectSessionResponse = z
  .object({ data: z.object({ token: z.string(), connect_link: z.string(), expires_at: timestamp }) })
  .meta({ id: 'ConnectSession' });

export const credentialsParams = z.object({ key: z.string().min(1) });
/** API key, basic or client-credentials connections, from the connect page (form) or JSON. */
export const credentialsBody = z.looseObject({
  connect_session_token: z.string(),
  api_key: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  connection_config: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
});
export const credentialsResponse = z.object({ connection_id: z.string(), provider_config_key: z.string() });
export const connectPageQuery = z.object({ session: z.string().optional() });
export const oauthConnectQuery = z.looseObject({ connect_session_token: z.string().optional() });
export const oauthCallbackQuery = z.looseObject({
  code: z.string().optional(),
  state: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});
