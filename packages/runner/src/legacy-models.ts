/**
 * Nango's nango.yaml `models:` DSL, parsed once into a small type tree that becomes both the JSON
 * Schema records are validated against and the TypeScript of the `models.ts` file legacy scripts
 * import (`import type { NangoSync, Item } from '../../models'`). The rules follow Nango's own
 * parser (nango-yaml modelsParser): type aliases (`integer`, `date`, `object`, …), numbers,
 * `true`/`false`/`null`/`undefined` literals, `Model[]`, `a | b` unions, nested objects, lists,
 * `__extends: A, B` (fields copied in), `__string` (an index signature), `field?` optional, and a
 * bare word that names no model is a string literal.
 */

export type TypeNode =
  | { kind: 'ts'; ts: string }
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'model'; name: string }
  | { kind: 'array'; of: TypeNode }
  | { kind: 'union'; of: TypeNode[] }
  | { kind: 'object'; fields: ModelField[]; dynamic?: TypeNode };

export interface ModelField {
  name: string;
  optional: boolean;
  type: TypeNode;
}

export type ParsedModels = Map<string, { fields: ModelField[]; dynamic?: TypeNode }>;

// Nango's typesAliases (nango-yaml helpers.ts): the words its DSL maps to TypeScript types.
const ALIASES: Record<string, string> = {
  integer: 'number',
  int: 'number',
  char: 'string',
  varchar: 'string',
  float: 'number',
  bool: 'boolean',
  string: 'string',
  number: 'number',
  never: 'never',
  void: 'void',
  boolean: 'boolean',
  bigint: 'bigint',
  date: 'Date',
  object: 'Record<string, any>',
  any: 'any',
  array: 'any[]',
  undefined: 'undefined',
};

/** One type expression of the DSL (`string | null`, `User[]`, `'a'`, `integer`, …); `names` are the models. */
export function parseTypeExpression(text: string, names: ReadonlySet<string>): TypeNode {
  const value = text.trim();
  if (value.includes('|'))
    return { kind: 'union', of: value.split('|').map((part) => parseTypeExpression(part, names)) };
  if (value.endsWith('[]')) return { kind: 'array', of: parseTypeExpression(value.slice(0, -2), names) };
  if (/^'.*'$|^".*"$/.test(value)) return { kind: 'literal', value: value.slice(1, -1) };
  const alias = ALIASES[value.toLowerCase()];
  if (alias !== undefined) return { kind: 'ts', ts: alias };
  if (/^-?\d+/.test(value) && !Number.isNaN(Number.parseInt(value, 10)))
    return { kind: 'literal', value: Number.parseInt(value, 10) };
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true' };
  if (lower === 'null') return { kind: 'literal', value: null };
  if (names.has(value)) return { kind: 'model', name: value };
  // TypeScript spellings Nango passes through (Record<…>, Array<…>, …) stay as written.
  if (/^[A-Z]\w*<.*>$/.test(value)) return { kind: 'ts', ts: value };
  return { kind: 'literal', value };
}

/** Parse the `models:` map of a nango.yaml (v1 and v2 share it). */
export function parseModels(raw: Record<string, unknown>): ParsedModels {
  const parsed: ParsedModels = new Map();
  const names = new Set(Object.keys(raw));

  const word = (text: string) => parseTypeExpression(text, names);

  function node(value: unknown): TypeNode {
    if (typeof value === 'string') return word(value);
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) return { kind: 'literal', value };
    if (value === undefined) return { kind: 'ts', ts: 'undefined' };
    if (Array.isArray(value)) {
      const members = value.map((v) => node(v));
      return { kind: 'array', of: members.length === 1 ? (members[0] as TypeNode) : { kind: 'union', of: members } };
    }
    return { kind: 'object', ...fieldsOf(value as Record<string, unknown>, []) };
  }

  function fieldsOf(raw: Record<string, unknown>, stack: string[]): { fields: ModelField[]; dynamic?: TypeNode } {
    const fields = new Map<string, ModelField>();
    let dynamic: TypeNode | undefined;
    for (const [rawName, value] of Object.entries(raw)) {
      if (rawName === '__extends') {
        for (const base of String(value)
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean)) {
          const model = modelOf(base, stack);
          for (const field of model?.fields ?? []) fields.set(field.name, field);
          if (model?.dynamic) dynamic = model.dynamic;
        }
        continue;
      }
      if (rawName === '__string') {
        dynamic = node(value);
        continue;
      }
      const optional = rawName.endsWith('?');
      const name = optional ? rawName.slice(0, -1) : rawName;
      fields.set(name, { name, optional, type: node(value) });
    }
    return { fields: [...fields.values()], ...(dynamic ? { dynamic } : {}) };
  }

  function modelOf(name: string, stack: string[]): { fields: ModelField[]; dynamic?: TypeNode } | undefined {
    const done = parsed.get(name);
    if (done) return done;
    const source = raw[name];
    if (source === undefined || stack.includes(name)) return undefined;
    const model =
      typeof source === 'object' && source !== null && !Array.isArray(source)
        ? fieldsOf(source as Record<string, unknown>, [...stack, name])
        : { fields: [] };
    parsed.set(name, model);
    return model;
  }

  for (const name of names) modelOf(name, []);
  return parsed;
}

const quoteKey = (name: string) => (/^[a-zA-Z0-9_]+$/.test(name) && !/^\d/.test(name) ? name : JSON.stringify(name));

/** TypeScript for one type node, the way Nango's generated models.ts spells it. */
export function toTypeScript(type: TypeNode, indent = '  '): string {
  switch (type.kind) {
    case 'ts':
      return type.ts;
    case 'literal':
      return typeof type.value === 'string' ? `'${type.value.replace(/'/g, "\\'")}'` : String(type.value);
    case 'model':
      return type.name;
    case 'array': {
      const inner = toTypeScript(type.of, indent);
      return type.of.kind === 'union' || type.of.kind === 'object' ? `(${inner})[]` : `${inner}[]`;
    }
    case 'union':
      return type.of.map((t) => toTypeScript(t, indent)).join(' | ');
    case 'object':
      return `{\n${fieldLines(type.fields, type.dynamic, `${indent}  `).join('\n')}\n${indent}}`;
  }
}

function fieldLines(fields: ModelField[], dynamic: TypeNode | undefined, indent: string): string[] {
  const lines = dynamic ? [`${indent}[key: string]: ${toTypeScript(dynamic, indent)};`] : [];
  for (const field of fields) {
    let ts = toTypeScript(field.type, indent);
    if (field.optional && !ts.includes('undefined')) ts = `${ts} | undefined`;
    lines.push(`${indent}${quoteKey(field.name)}${field.optional ? '?' : ''}: ${ts};`);
  }
  return lines;
}

/** `export interface Name { … }` for every model. */
export function modelInterfaces(models: ParsedModels): string[] {
  return [...models.entries()].map(
    ([name, model]) => `export interface ${name} {\n${fieldLines(model.fields, model.dynamic, '  ').join('\n')}\n}`,
  );
}

const mayBeAbsent = (type: TypeNode): boolean =>
  (type.kind === 'ts' && (type.ts === 'undefined' || type.ts === 'void')) ||
  (type.kind === 'union' && type.of.some(mayBeAbsent));

/**
 * JSON Schema (draft 2020-12) of a type node. Models are inlined (a model met again inside itself
 * accepts anything rather than looping); `Date` is a string because records travel as JSON.
 */
export function toJsonSchema(type: TypeNode, models: ParsedModels, seen: ReadonlySet<string> = new Set()): object {
  switch (type.kind) {
    case 'ts': {
      const ts = type.ts;
      if (ts === 'string' || ts === 'Date') return { type: 'string' };
      if (ts === 'number' || ts === 'bigint') return { type: 'number' };
      if (ts === 'boolean') return { type: 'boolean' };
      if (ts === 'Record<string, any>') return { type: 'object' };
      if (ts === 'any[]') return { type: 'array' };
      if (ts === 'never') return { not: {} };
      return {};
    }
    case 'literal':
      return type.value === null ? { type: 'null' } : { const: type.value };
    case 'model': {
      const model = models.get(type.name);
      if (model === undefined || seen.has(type.name)) return {};
      return objectSchema(model.fields, model.dynamic, models, new Set([...seen, type.name]));
    }
    case 'array':
      return { type: 'array', items: toJsonSchema(type.of, models, seen) };
    case 'union': {
      const members = type.of.filter((t) => !(t.kind === 'ts' && t.ts === 'undefined'));
      if (members.length === 1) return toJsonSchema(members[0] as TypeNode, models, seen);
      return { anyOf: members.map((t) => toJsonSchema(t, models, seen)) };
    }
    case 'object':
      return objectSchema(type.fields, type.dynamic, models, seen);
  }
}

function objectSchema(
  fields: ModelField[],
  dynamic: TypeNode | undefined,
  models: ParsedModels,
  seen: ReadonlySet<string>,
): object {
  const properties: Record<string, object> = {};
  const required: string[] = [];
  for (const field of fields) {
    properties[field.name] = toJsonSchema(field.type, models, seen);
    if (!field.optional && !mayBeAbsent(field.type)) required.push(field.name);
  }
  return {
    type: 'object',
    properties,
    required,
    ...(dynamic ? { additionalProperties: toJsonSchema(dynamic, models, seen) } : {}),
  };
}

/** The header that marks a models.ts as generated (Weft's or Nango's), so regenerating it is safe. */
export const GENERATED_MARKERS = ['This file was generated by Weft', 'This file was generated by Nango'];

/**
 * The `models.ts` Nango's CLI writes beside nango.yaml: every model as an interface, the SDK types
 * legacy scripts import from it (`NangoSync`, `NangoAction`, `ProxyConfiguration`, `ActionError`,
 * …) and `NangoFlows`, the parsed integrations.
 */
export function generateModelsFile(models: ParsedModels, flows: unknown): string {
  return `// ---------------------------
// This file was generated by Weft from nango.yaml, like Nango's CLI generates it.
// Regenerated by \`weft compile\`; edit nango.yaml instead.
// ---------------------------

// ------ Models
${modelInterfaces(models).join('\n\n')}
// ------ /Models

// ------ SDK
export { ActionError } from 'nango';
export type {
  Connection,
  HttpMethod,
  LegacyNangoAction as NangoAction,
  LegacyNangoSync as NangoSync,
  LogLevel,
  PaginationConfig as Pagination,
  ProxyConfiguration,
  ProxyResponse,
} from 'nango';
// ------ /SDK

// ------ Flows
export const NangoFlows = ${JSON.stringify(flows, null, 2)} as const;
// ------ /Flows
`;
}
