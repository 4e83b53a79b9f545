export { configSchema, resolveConfig, type WeftConfig } from './config.js';
export { coreErrors } from './errors.js';
export {
  defineErrors,
  type ErrorCatalog,
  type ErrorSpec,
  errorSpecOf,
  isRetryable,
  registeredErrorCatalogs,
} from './errors-catalog.js';
export { meterInstruments } from './meter-instruments.js';
export {
  assertAllowedLiteral,
  blockedReason,
  createOutboundDispatcher,
  guardedLookup,
  type OutboundPolicy,
  type OutboundRefusal,
  outboundDispatcher,
  outboundPolicy,
  outboundRefusal,
  outboundRefusalOf,
  setOutboundPolicy,
} from './outbound-policy.js';
export { createSecretBox, generateEncryptionKey, parseEncryptionKey, type SecretBox } from './secret-box.js';
export { isWeftError, WeftError, wrapWeftError } from './weft-error.js';
