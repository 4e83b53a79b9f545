import { createHash } from 'node:crypto';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { recordsErrors } from './errors.js';

/** What to do with a record that does not match its model: see README "Records". */
export type ValidationPolicy = 'reject' | 'warn' | 'off';

export interface ValidationProblem {
  recordId: string;
  /** JSON pointer into the record, `/` for the record itself. */
  path: string;
  reason: string;
}

// ajv-formats is CJS with a default export; under ESM interop it can arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => void;

const ajv = new Ajv2020({ allErrors: false, strict: false, validateFormats: true });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();
// The same schema object comes with every batch of a run: found by identity, a batch skips
// serialising and hashing the schema (schemas are deploy data, never mutated after).
const bySchemaObject = new WeakMap<object, ValidateFunction>();

/** Compile (once per distinct schema) the validator of a model's JSON Schema. */
export function compileModelSchema(model: string, schema: object): ValidateFunction {
  const known = bySchemaObject.get(schema);
  if (known !== undefined) return known;
  const key = createHash('sha1').update(JSON.stringify(schema)).digest('base64');
  let validate = compiled.get(key);
  if (validate === undefined) {
    try {
      // zod's `$schema` / `$id` would make ajv refuse a second compile of the same id.
      const { $schema: _schema, $id: _id, ...body } = schema as Record<string, unknown>;
      validate = ajv.compile(body);
    } catch (error) {
      throw recordsErrors.create('WEFT_RECORDS_INVALID_SCHEMA', { model, reason: (error as Error).message });
    }
    compiled.set(key, validate);
  }
  bySchemaObject.set(schema, validate);
  return validate;
}

function describe(error: ErrorObject): { path: string; reason: string } {
  let path = error.instancePath === '' ? '/' : error.instancePath;
  let reason = error.message ?? 'is invalid';
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: string }).missingProperty ?? '';
    path = `${error.instancePath}/${missing}`;
    reason = 'is required';
  } else if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty?: string }).additionalProperty ?? '';
    path = `${error.instancePath}/${extra}`;
    reason = 'is not declared in the model';
  } else if (error.keyword === 'enum') {
    reason = `must be one of ${JSON.stringify((error.params as { allowedValues?: unknown }).allowedValues)}`;
  }
  return { path, reason };
}

/** Checks records one by one as they are staged, so validation overlaps the COPY to Postgres. */
export interface RecordChecker {
  /** False when the record is invalid under `reject` (the caller stops writing; `finish` throws). */
  check(id: string, record: unknown): boolean;
  /** Throws WEFT_RECORDS_VALIDATION_FAILED when any record was rejected. */
  finish(): void;
}

const alwaysValid: RecordChecker = { check: () => true, finish: () => {} };

/**
 * `reject` makes `finish` throw WEFT_RECORDS_VALIDATION_FAILED for the first bad record (id, JSON
 * path, reason; up to 20 problems in `details.problems`); `warn` reports each problem and lets it
 * through; `off` (or no schema) checks nothing.
 */
export function createRecordChecker(
  model: string,
  schema: object | undefined,
  policy: ValidationPolicy,
  onWarning?: (problem: ValidationProblem) => void,
): RecordChecker {
  if (policy === 'off' || schema === undefined) return alwaysValid;
  const validate = compileModelSchema(model, schema);
  const problems: ValidationProblem[] = [];
  return {
    check(id, record) {
      if (validate(record)) return problems.length === 0;
      const first = validate.errors?.[0];
      const problem = {
        recordId: id,
        ...(first === undefined ? { path: '/', reason: 'is invalid' } : describe(first)),
      };
      if (policy === 'warn') {
        onWarning?.(problem);
        return true;
      }
      if (problems.length < 20) problems.push(problem);
      return false;
    },
    finish() {
      const first = problems[0];
      if (first === undefined) return;
      throw recordsErrors.create(
        'WEFT_RECORDS_VALIDATION_FAILED',
        { recordId: first.recordId, model, path: first.path, reason: first.reason },
        { model, problems },
      );
    },
  };
}

/** Check a whole batch at once (see createRecordChecker for the policies). */
export function validateRecords(
  model: string,
  schema: object | undefined,
  records: ReadonlyArray<{ id: string; record: unknown }>,
  policy: ValidationPolicy,
  onWarning?: (problem: ValidationProblem) => void,
): void {
  const checker = createRecordChecker(model, schema, policy, onWarning);
  for (const { id, record } of records) checker.check(id, record);
  checker.finish();
}
