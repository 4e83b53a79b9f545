import { defineErrors } from '@weft/core';

export const serverErrors = defineErrors('server', {
  WEFT_SERVER_PORT_IN_USE: {
    status: 500,
    retryable: false,
    message: 'Port {port} on {host} is already in use',
    fix: 'Another process listens there (maybe another `weft start`). Stop it or set PORT to a free port.',
  },
  WEFT_SERVER_LISTEN_FAILED: {
    status: 500,
    retryable: false,
    message: 'Cannot listen on {host}:{port}: {reason}',
    fix: 'Check HOST and PORT (binding below 1024 needs privileges).',
  },
  WEFT_API_ACTION_PENDING: {
    status: 404,
    retryable: true,
    message: 'Action {id} has not finished yet',
    fix: 'The async action is queued (waiting for a free action slot in the fleet) or still running: ask GET /action/:id again later, or wait for its async_action webhook.',
  },
  WEFT_NOT_SUPPORTED: {
    status: 501,
    retryable: false,
    message: '{feature} is not supported by Weft: {reason}',
    fix: 'The call exists in Nango (and its client) but Weft does not have the feature; README "Coming from Nango" lists these calls and what to use instead.',
  },
});
