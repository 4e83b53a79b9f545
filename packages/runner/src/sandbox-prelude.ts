import { SANDBOX_CRYPTO } from './sandbox-crypto.js';
import { SANDBOX_GLOBALS } from './sandbox-globals.js';

/**
 * Code evaluated inside every isolate before the script: it captures the host bridge, removes
 * it from the global scope, and builds the `nango` object. Kept as a string because it runs in
 * V8 without Node; everything it receives from the host arrives as JSON text.
 */
export const SANDBOX_PRELUDE = `${SANDBOX_GLOBALS}\n${SANDBOX_CRYPTO}\n${String.raw`
(() => {
  // Captured before any script code runs: a script replacing JSON or Promise only hurts itself.
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const hostCall = globalThis.__hostCall;
  const hostLog = globalThis.__hostLog;
  delete globalThis.__hostCall;
  delete globalThis.__hostLog;

  const rebuild = (e) => {
    const error = new Error(e.message);
    error.name = e.name || 'Error';
    if (e.code) error.code = e.code;
    if (e.details) error.details = e.details;
    if (e.response) {
      // Axios-shaped, because Nango scripts read error.response.status / .data.
      error.name = 'AxiosError';
      error.isAxiosError = true;
      error.response = e.response;
      error.status = e.response.status;
    }
    return error;
  };
  const call = async (op, args) => {
    const raw = await hostCall.apply(undefined, [op, stringify(args === undefined ? [] : args)], {
      arguments: { copy: true },
      result: { promise: true, copy: true },
    });
    const res = parse(raw);
    if (res.ok) return res.value;
    throw rebuild(res.error);
  };
  const text = (value) => {
    if (typeof value === 'string') return value;
    try { return stringify(value); } catch { return String(value); }
  };
  const log = (level) => (...args) => { hostLog.applyIgnored(undefined, [level, args.map(text).join(' ')], { arguments: { copy: true } }); };
  globalThis.console = Object.freeze({ log: log('info'), info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug'), trace: log('debug') });

  let timerId = 0;
  const cancelled = new Set();
  globalThis.setTimeout = (fn, ms, ...rest) => {
    const id = ++timerId;
    call('sleep', [Math.max(0, Math.min(Number(ms) || 0, 60000))]).then(() => { if (!cancelled.delete(id)) fn(...rest); });
    return id;
  };
  globalThis.clearTimeout = (id) => { cancelled.add(id); };
  globalThis.setInterval = undefined;
  globalThis.queueMicrotask = (fn) => Promise.resolve().then(fn);

  class ActionError extends Error {
    constructor(payload) {
      super(payload && typeof payload.message === 'string' ? payload.message : 'Action failed');
      this.name = 'ActionError';
      this.type = 'action_script_runtime_error';
      this.payload = payload || {};
    }
  }

  const models = (name) => { if (typeof name !== 'string' || name === '') throw new Error('the model name (second argument) is required'); return name; };

  globalThis.__weft_build_nango = (env) => {
    const proxy = (config) => call('proxy', [config]);
    const method = (m) => (config) => call('proxy', [{ ...config, method: m }]);
    async function* paginate(config) {
      const onPage = config && config.paginate && config.paginate.on_page;
      const clean = { ...config, paginate: config && config.paginate ? { ...config.paginate } : undefined };
      if (clean.paginate) delete clean.paginate.on_page;
      const id = await call('paginate.start', [clean]);
      for (;;) {
        const step = await call('paginate.next', [id]);
        if (onPage && step.previousPage) await onPage(step.previousPage);
        if (step.done) return;
        yield step.page;
      }
    }
    const nango = {
      connectionId: env.connectionId,
      providerConfigKey: env.providerConfigKey,
      // Nango's base variant is named 'base' (BASE_VARIANT); scripts compare against it.
      variant: env.variant || 'base',
      lastSyncDate: env.lastSyncDate ? new Date(env.lastSyncDate) : null,
      ActionError,
      proxy,
      get: method('GET'),
      post: method('POST'),
      put: method('PUT'),
      patch: method('PATCH'),
      delete: method('DELETE'),
      paginate,
      getConnection: (...args) => call('getConnection', args),
      getMetadata: () => call('getMetadata', []),
      setMetadata: (m) => call('setMetadata', [m]),
      updateMetadata: (m) => call('updateMetadata', [m]),
      getToken: () => call('getToken', []),
      getCheckpoint: () => call('getCheckpoint', []),
      saveCheckpoint: (c) => call('saveCheckpoint', [c]),
      clearCheckpoint: () => call('clearCheckpoint', []),
      batchSave: (records, model) => call('batchSave', [models(model), records]).then(() => true),
      batchUpdate: (records, model) => call('batchUpdate', [models(model), records]).then(() => true),
      batchDelete: (records, model) => call('batchDelete', [models(model), records]).then(() => true),
      trackDeletesStart: (model) => call('trackDeletesStart', [models(model)]),
      trackDeletesEnd: (model) => call('trackDeletesEnd', [models(model)]),
      log: (message, options) => {
        const level = options && typeof options.level === 'string' ? options.level : 'info';
        const extra = options && options.level === undefined ? ' ' + text(options) : '';
        hostLog.applyIgnored(undefined, [level, text(message) + extra], { arguments: { copy: true } });
        return Promise.resolve();
      },
      // As Nango: every issue logged at error level, then ActionError('Invalid input provided');
      // on success the safeParse result itself (scripts read parsed.data).
      zodValidateInput: async ({ zodSchema, input }) => {
        const result = zodSchema.safeParse(input);
        if (!result.success) {
          for (const issue of result.error.issues)
            hostLog.applyIgnored(undefined, ['error', 'Invalid input provided: ' + issue.message + ' at path ' + issue.path.join('.')], { arguments: { copy: true } });
          throw new ActionError({ message: 'Invalid input provided' });
        }
        return result;
      },
      getEnvironmentVariables: () => call('getEnvironmentVariables', []),
      // POST /webhook/<environment>/<integration> on Weft's public URL (null when the host gave none).
      getWebhookURL: () => Promise.resolve(env.webhookUrl || null),
    };
    return nango;
  };

  const errorInfo = (e) => ({
    name: e && e.name, message: e && e.message !== undefined ? String(e.message) : String(e), stack: e && e.stack,
    code: e && e.code, payload: e && e.payload, isActionError: !!(e && e.name === 'ActionError'),
    response: e && e.response ? { status: e.response.status, data: e.response.data } : undefined,
  });

  globalThis.__weft_run = async (kind, inputJson, envJson) => {
    try {
      const env = parse(envJson);
      const mod = globalThis.__weft.module;
      const definition = mod.default;
      const nango = globalThis.__weft_build_nango(env);
      if (kind === 'webhook') {
        // Nango's two forms: createSync({ onWebhook }) and a legacy file's exported onWebhookPayloadReceived.
        const handler = typeof definition === 'function' ? mod.onWebhookPayloadReceived : definition && definition.onWebhook;
        if (typeof handler !== 'function') return stringify({ ok: false, error: { name: 'NoWebhookHandler', message: 'no webhook handler' } });
        await handler(nango, inputJson === undefined ? undefined : parse(inputJson));
        return stringify({ ok: true });
      }
      if (kind === 'sync') {
        if (typeof definition === 'function') await definition(nango);
        else await definition.exec(nango);
        return stringify({ ok: true });
      }
      const rawInput = inputJson === undefined ? undefined : parse(inputJson);
      if (typeof definition === 'function') {
        const output = await definition(nango, rawInput);
        return stringify({ ok: true, output: output === undefined ? null : output });
      }
      const parsedInput = definition.input ? definition.input.safeParse(rawInput) : { success: true, data: rawInput };
      if (!parsedInput.success) return stringify({ ok: false, error: { name: 'InvalidInput', message: parsedInput.error.message, issues: parsedInput.error.issues } });
      const output = await definition.exec(nango, parsedInput.data);
      if (definition.output) {
        const checked = definition.output.safeParse(output);
        if (!checked.success) return stringify({ ok: false, error: { name: 'InvalidOutput', message: checked.error.message } });
      }
      return stringify({ ok: true, output: output === undefined ? null : output });
    } catch (e) {
      return stringify({ ok: false, error: errorInfo(e) });
    }
  };
})();
`}`;
