import type { PostConnectionStep } from './provider-schema.js';

/**
 * What Nango's `post_connection_script`s (code in Nango's server, named by catalogue entries)
 * do, restated as Weft's declarative `post_connection` steps. An entry that names one of these and
 * declares no `post_connection` of its own gets these steps. Scripts missing here are not run:
 * the loader warns, and marks the entry unsupported when its proxy needs a value only the script
 * would have filled (see provider-fields.ts).
 */
export const nangoPostConnectionSteps: Readonly<Record<string, readonly PostConnectionStep[]>> = {
  // Salesforce's script is a no-op: instance_url comes from token_response_metadata.
  salesforcePostConnection: [],
  // The tenant of the signed-in account, from the access token's `tid` claim.
  microsoftTeamsPostConnection: [{ claim: 'tid', as: 'tenantId' }],
  // Nango also fetches a SharePoint token here; Weft's own entries declare that as secondary_tokens.
  onedrivePostConnection: [{ claim: 'tid', as: 'tenantId' }],
  // The account's data centre (`us21`), part of the API host.
  mailchimpPostConnection: [
    {
      request: { endpoint: '/oauth2/metadata', base_url_override: 'https://login.mailchimp.com' },
      pick: { dc: 'dc' },
    },
  ],
  // The first Atlassian site the grant covers (Nango prefers one matching connection_config.subdomain).
  jiraPostConnection: [
    { request: { endpoint: '/oauth/token/accessible-resources' }, pick: { cloudId: '0.id', baseUrl: '0.url' } },
  ],
  basecampPostConnection: [
    {
      request: { endpoint: '/authorization.json', base_url_override: 'https://launchpad.37signals.com' },
      pick: { accounts: 'accounts', accountId: 'accounts.0.id' },
    },
  ],
  // The tenant's regional API host, which is the proxy's base URL.
  sophosCentralPostConnection: [
    {
      request: { endpoint: '/whoami/v1', base_url_override: 'https://api.central.sophos.com' },
      pick: { tenantId: 'id', dataRegion: 'apiHosts.dataRegion' },
    },
  ],
  sage200PostConnection: [
    { request: { endpoint: '/accounts/v1/sites' }, pick: { company_id: '0.company_id', site_id: '0.site_id' } },
  ],
  jobberPostConnection: [
    {
      request: { method: 'POST', endpoint: '/graphql', data: { query: 'query { account { id } }' } },
      pick: { accountId: 'data.account.id' },
    },
  ],
  calendlyPostConnection: [
    { request: { endpoint: '/users/me' }, pick: { current_organization: 'resource.current_organization' } },
    { derive: 'current_organization', pattern: '([^/]+)$', as: 'organizationId' },
  ],
  // The data-centre suffix (`eu`, `com.au`) of the api_domain the token response carries.
  zohoPostConnection: [{ derive: 'api_domain', pattern: 'zohoapis\\.([^/]+)', as: 'extension' }],
};
