export { authRequestParts } from './auth-headers.js';
export type { RequestToSign } from './auth-modes/auth-mode.js';
export { callModeEndpoint } from './auth-modes/mode-http.js';
export {
  canRefresh,
  credentialFieldsFor,
  signRequest,
  signsEachRequest,
  usesRedirect,
} from './auth-modes/registry.js';
export {
  type AuthEvent,
  type AuthService,
  type AuthServiceOptions,
  type ConnectionHooks,
  type ConnectionRef,
  createAuthService,
  type ResolvedConnection,
} from './auth-service.js';
export {
  CONNECT_SESSION_TTL_SECONDS,
  type ConnectSession,
  type EndUser,
  type IntegrationDefaults,
} from './connect-sessions.js';
export {
  type ConnectionKeys,
  connectionKeys,
  connectionMetrics,
  connectionsNeedingReauth,
  type ExpiringSecret,
  expiringClientSecrets,
  type ReauthNeeded,
} from './connection-keys.js';
export { type ConnectionStats, connectionStats } from './connection-stats.js';
export type { ConnectionRecord } from './connections.js';
export { accessTokenOf, type Credentials, expiresAtOf, type ModeCredentials, type ModeName } from './credentials.js';
export { authErrors } from './errors.js';
export { type ConnectionRow, findConnection, findRoutedConnections, type RoutedConnection } from './find-connection.js';
export { GRAPH_WEBHOOK_ROUTING_SCRIPTS } from './graph-webhook-routing.js';
export { integrationRowId } from './integration-keys.js';
export {
  type Integration,
  type IntegrationInput,
  integrationForwardsWebhooks,
  SECRET_EXPIRY_WARNING_DAYS,
} from './integrations.js';
export { connectionConfigFields, interpolate, type TemplateValues } from './interpolate.js';
export {
  loadProviders,
  mergeProvider,
  type ProviderCatalog,
  type ProviderWarning,
  parseProviders,
} from './load-providers.js';
export { requiredConnectionConfig } from './oauth-client.js';
export {
  type InputField,
  type PostConnectionStep,
  type ProviderDefinition,
  type ProviderPaginate,
  type ProviderSupport,
  type SupportedAuthMode,
  supportedAuthModes,
} from './provider-schema.js';
export { proxyBodyOf } from './proxy-body.js';
export { providerLogoUrl, publicProvider } from './public-provider.js';
export { callTokenEndpoint, TokenEndpointError } from './token-endpoint.js';
export {
  nangoWebhookRoutingRules,
  type WebhookRoutingRule,
  webhookRoutingRuleOf,
  webhookRoutingRuleSchema,
} from './webhook-routing-rule.js';
