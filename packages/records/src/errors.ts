import { defineErrors } from '@weft/core';

export const recordsErrors = defineErrors('records', {
  WEFT_RECORDS_VALIDATION_FAILED: {
    status: 400,
    retryable: false,
    message: 'Record {recordId} of model {model} is invalid at {path}: {reason}',
    fix: 'Nothing from the batch was written. Make the script produce records that match the model (or set the sync validation policy to warn/off while migrating).',
  },
  WEFT_RECORDS_INVALID_RECORD: {
    status: 400,
    retryable: false,
    message: 'Record #{index} of model {model} {reason}',
    fix: 'Every record must be a JSON object with a non-empty string or number `id`. Nothing from the batch was written.',
  },
  WEFT_RECORDS_UNKNOWN_MODEL: {
    status: 400,
    retryable: false,
    message: 'Model {model} is not deployed for integration {providerConfigKey}',
    fix: 'Use one of the models in `details.known` (names are case-sensitive), or deploy the script that declares it.',
  },
  WEFT_RECORDS_INVALID_SCHEMA: {
    status: 400,
    retryable: false,
    message: 'The JSON Schema of model {model} cannot be compiled: {reason}',
    fix: 'Deploy a model whose zod definition converts to a valid JSON Schema (draft 2020-12).',
  },
  WEFT_RECORDS_INVALID_CURSOR: {
    status: 400,
    retryable: false,
    message: 'The cursor {cursor} is not one Weft issued',
    fix: 'Pass back `next_cursor` (or a record `_nango_metadata.cursor`) exactly as received, or omit it to start from the beginning.',
  },
  WEFT_RECORDS_SNAPSHOT_NOT_STARTED: {
    status: 409,
    retryable: false,
    message: 'trackDeletesEnd({model}) was called without an open snapshot',
    fix: 'Call trackDeletesStart for the model before saving the full snapshot, then trackDeletesEnd once every record was saved.',
  },
  WEFT_RECORDS_CONNECTION_NOT_FOUND: {
    status: 404,
    retryable: false,
    message: 'No connection {connectionId} for integration {providerConfigKey}',
    fix: 'Check the Connection-Id and Provider-Config-Key headers; list connections with GET /connections.',
  },
  WEFT_WEBHOOK_NOT_CONFIGURED: {
    status: 404,
    retryable: false,
    message: 'No webhook URL is configured for this environment',
    fix: 'Set one with PUT /webhooks/settings { "primary_url": "https://…" }.',
  },
  WEFT_WEBHOOK_DELIVERY_NOT_FOUND: {
    status: 404,
    retryable: false,
    message: 'Webhook delivery {id} does not exist in this environment',
    fix: 'List deliveries with GET /webhooks/deliveries and use an id from there.',
  },
  WEFT_RECORDS_ENCRYPTION_KEY: {
    status: 500,
    retryable: false,
    message: 'Record encryption: {reason}',
    fix: 'Configure the key the records were sealed with: WEFT_RECORDS_ENCRYPTION=on, the same WEFT_ENCRYPTION_KEY (or WEFT_RECORDS_ENCRYPTION_KEY), and earlier keys in WEFT_RECORDS_ENCRYPTION_PREVIOUS_KEYS after a rotation.',
  },
});
