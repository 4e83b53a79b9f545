import { defineErrors } from '@weft/core';

export const runnerErrors = defineErrors('runner', {
  WEFT_RUNNER_INVALID_BUNDLE: {
    status: 400,
    message: 'Script {name} cannot be deployed: its bundle does not parse ({reason})',
    fix: 'Deploy what `weft compile` / `weft deploy` produce; a hand-edited or truncated bundle is refused before anything is stored.',
  },
  WEFT_RUNNER_COMPILE_FAILED: {
    status: 400,
    message: 'Compilation failed: {problems}',
    fix: 'Fix each problem listed in `details.problems` (file:line: message); nothing was deployed.',
  },
  WEFT_RUNNER_CONNECTION_REFUSED: {
    status: 400,
    message: 'The connection was refused by {name}: {message}',
    fix: "The integration's validate-connection script rejected these credentials; connect again with an account it accepts.",
  },
  WEFT_RUNNER_SCRIPT_NOT_FOUND: {
    status: 404,
    message: 'No deployed {kind} {name} for integration {providerConfigKey}',
    fix: 'Deploy it first (`weft deploy`), or check the name (GET /scripts/config lists deployed scripts).',
  },
  WEFT_RUNNER_SCRIPT_FAILED: {
    status: 500,
    message: '{name} failed: {message}',
    fix: 'The script threw; `details.stack` points at your file:line. Fix the script or the data it met.',
  },
  WEFT_RUNNER_TIMEOUT: {
    status: 504,
    message: '{name} exceeded its {limit} limit and was stopped',
    fix: 'Make the script do less per run (checkpoint and continue next run) or raise the limit for this script.',
  },
  WEFT_RUNNER_MEMORY_LIMIT: {
    status: 500,
    message: '{name} exceeded its memory limit of {limit} MB and was stopped',
    fix: 'Save records in smaller batches and do not keep whole datasets in memory; or raise the memory limit.',
  },
  WEFT_RUNNER_CANCELLED: {
    status: 409,
    message: '{name} was cancelled',
    fix: 'The run was cancelled from outside (API, shutdown); nothing after the cancellation was saved.',
  },
  WEFT_RUNNER_FORBIDDEN: {
    status: 403,
    message: '{operation} is not allowed from a script: {reason}',
    fix: 'Scripts only reach their own connection, through the SDK; credentials never enter the sandbox.',
  },
  WEFT_RUNNER_PAYLOAD_TOO_LARGE: {
    status: 413,
    message: '{operation} received {size}, over the limit of {limit}',
    fix: 'Save records in batches (e.g. one page at a time) below the limit.',
  },
  WEFT_RUNNER_INVALID_CALL: {
    status: 400,
    message: '{operation} was called with invalid arguments: {reason}',
    fix: 'Check the arguments against the SDK types (nango.batchSave(records, "Model"), …).',
  },
  WEFT_RUNNER_ACTION_LOST: {
    status: 503,
    message: 'Action {name} was lost: the process running it stopped',
    fix: 'The Weft process running this async action died (kill -9, out of memory) and its heartbeat stopped for WEFT_HEARTBEAT_TIMEOUT_SECONDS; it is not re-run automatically because it may have had side effects. Check the provider and trigger it again.',
  },
  WEFT_RUNNER_ACTION_FAILED: {
    status: 400,
    message: 'Action {name} failed: {message}',
    fix: 'The action threw an ActionError; `details.payload` holds what it reported.',
  },
  WEFT_RUNNER_INVALID_INPUT: {
    status: 400,
    message: 'Invalid input for {name}: {reason}',
    fix: 'Send input matching the action input schema (GET /scripts/config shows it).',
  },
  WEFT_RUNNER_DESTRUCTIVE_DEPLOY: {
    status: 409,
    message: 'This deploy removes {what}; nothing was deployed',
    fix: 'Removing syncs or models stops their data from updating. Re-run with --force (or "force": true) if that is intended.',
  },
  WEFT_RUNNER_INVALID_OUTPUT: {
    status: 500,
    message: 'Action {name} returned output that does not match its schema: {reason}',
    fix: 'Make the action return what its `output` schema declares.',
  },
  WEFT_RUNNER_WASM_DISABLED: {
    status: 400,
    message: '{name} used WebAssembly, which the sandbox does not offer',
    fix: "WebAssembly memory lives outside the run's memory limit, so it is disabled in the sandbox; use a pure JavaScript library instead.",
  },
  WEFT_RUNNER_ACTIONS_BUSY: {
    status: 429,
    message: '{running} actions are running and {waiting} are waiting; try again shortly',
    fix: 'This process runs at most WEFT_ACTION_CONCURRENCY actions at once and queues up to WEFT_ACTION_QUEUE_LIMIT more. Retry after a moment, or raise the limits.',
  },
  WEFT_RUNNER_NO_WEBHOOK_HANDLER: {
    status: 400,
    message: 'Sync {name} has no webhook handler',
    fix: 'Give the sync an onWebhook(nango, payload) in createSync (with webhookSubscriptions), or export onWebhookPayloadReceived from a legacy sync file (with webhook-subscriptions in nango.yaml).',
  },
});
