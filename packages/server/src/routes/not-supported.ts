import type { FastifyPluginAsync, HTTPMethods } from 'fastify';
import { serverErrors } from '../errors.js';

/**
 * Calls of Nango's API (and `@nangohq/node`) whose feature Weft does not have. Each answers
 * `501 WEFT_NOT_SUPPORTED` naming the feature, instead of a 404 that reads like a wrong URL.
 * README "Coming from Nango" lists the same calls.
 */
export const notSupportedCalls: ReadonlyArray<{
  method: HTTPMethods;
  url: string;
  /** The `@nangohq/node` method that calls it. */
  clientMethod: string;
  feature: string;
  reason: string;
}> = [
  {
    method: 'GET',
    url: '/providers/:provider/templates',
    clientMethod: 'getProviderTemplates',
    feature: 'Function templates',
    reason: "Weft ships no template catalogue; write scripts in integrations/<key>/ and 'weft deploy' them",
  },
  {
    method: 'POST',
    url: '/integrations/quickstart',
    clientMethod: 'createQuickstartIntegration',
    feature: 'Quickstart integrations',
    reason:
      'Weft has no shared developer OAuth apps; create the integration with your own client id and secret (POST /integrations)',
  },
  {
    method: 'GET',
    url: '/integrations/:uniqueKey/functions',
    clientMethod: 'listFunctions',
    feature: 'The functions API',
    reason: 'use GET /scripts/config to list deployed scripts',
  },
  {
    method: 'GET',
    url: '/integrations/:uniqueKey/functions/:name',
    clientMethod: 'getFunction',
    feature: 'The functions API',
    reason: 'use GET /scripts/config to list deployed scripts',
  },
  {
    method: 'GET',
    url: '/integrations/:uniqueKey/functions/:name/code',
    clientMethod: 'getFunctionCode',
    feature: 'The functions API',
    reason: 'the source of a deployed script is in your repository',
  },
  {
    method: 'DELETE',
    url: '/integrations/:uniqueKey/functions/:name',
    clientMethod: 'deleteFunction',
    feature: 'The functions API',
    reason: "remove the script from integrations/<key>/ and 'weft deploy --force'",
  },
  {
    method: 'PATCH',
    url: '/connections/:connectionId',
    clientMethod: 'patchConnection',
    feature: 'Editing a connection (end user, tags, webhook URL override)',
    reason: 'a connection keeps the end user of the connect session that created it; store other data with setMetadata',
  },
  {
    method: 'POST',
    url: '/sync/:name/variant/:variant',
    clientMethod: 'createSyncVariant',
    feature: 'Sync variants',
    reason: 'each sync runs once per connection (variant "base")',
  },
  {
    method: 'DELETE',
    url: '/sync/:name/variant/:variant',
    clientMethod: 'deleteSyncVariant',
    feature: 'Sync variants',
    reason: 'each sync runs once per connection (variant "base")',
  },
];

export const notSupportedRoutes: FastifyPluginAsync = async (app) => {
  for (const call of notSupportedCalls) {
    app.route({
      method: call.method,
      url: call.url,
      handler: async () => {
        throw serverErrors.create('WEFT_NOT_SUPPORTED', { feature: call.feature, reason: call.reason });
      },
    });
  }
};
