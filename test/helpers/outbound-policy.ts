import { setOutboundPolicy } from '@weft/core';

// Loaded before every test file (vitest setupFiles): the fakes listen on loopback, so tests allow
// private addresses by configuration, as an on-premise deployment would. Tests of the refusal set
// a strict policy themselves.
setOutboundPolicy({ allowPrivateNetwork: true });
