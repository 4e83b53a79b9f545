/** Values a providers.yaml string can reference. */
export interface TemplateValues {
  connectionConfig?: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  /** Top-level names such as `${apiKey}` (Nango's API_KEY headers) or `${username}`. */
  [name: string]: unknown;
}

const PLACEHOLDER = /\$\{([^}]+)\}/g;

function lookup(path: string, values: TemplateValues): string | undefined {
  let current: unknown = values;
  for (const part of path.trim().split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  if (current === undefined || current === null || current === '') return undefined;
  return typeof current === 'string' ? current : String(current);
}

function fill(template: string, values: TemplateValues): string | undefined {
  let missing = false;
  const out = template.replace(PLACEHOLDER, (_whole, path: string) => {
    const value = lookup(path, values);
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : out;
}

/**
 * Nango's templating for providers.yaml strings: `${connectionConfig.x}`, `${credentials.x}`,
 * `${apiKey}`; `A || B` means A when every placeholder in it resolves, else B (B may itself hold
 * placeholders or be a literal). Returns undefined when no alternative resolves.
 */
export function interpolate(template: string, values: TemplateValues): string | undefined {
  if (!template.includes('${')) return template;
  const alternatives = template.includes('||') ? template.split('||').map((a) => a.trim()) : [template];
  for (const alternative of alternatives) {
    const filled = fill(alternative, values);
    if (filled !== undefined) return filled;
  }
  return undefined;
}

/** Placeholders a template needs from connection_config (for "missing field" errors). */
export function connectionConfigFields(template: string): string[] {
  return [...template.matchAll(/\$\{connectionConfig\.([\w-]+)\}/g)].map((m) => m[1] as string);
}
