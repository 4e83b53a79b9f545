import { defineErrors } from '@weft/core';

export const serverErrors = defineErrors('server', {
  WEFT_SERVER_PORT_IN_USE: {
    status: 500,
    message: 'Port {port} on {host} is already in use',
    fix: 'Another process listens there (maybe another `weft start`). Stop it or set PORT to a free port.',
  },
  WEFT_SERVER_LISTEN_FAILED: {
    status: 500,
    message: 'Cannot listen on {host}:{port}: {reason}',
    fix: 'Check HOST and PORT (binding below 1024 needs privileges).',
  },
});
