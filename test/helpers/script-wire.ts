import type { CompiledScript } from '@weft/runner';

/**
 * A compiled script as POST /deploy and POST /dryrun take it (snake_case), the way `weft deploy`
 * sends it. `sources` (the TypeScript sources, for stack traces) default to none: most tests only
 * need the bundle.
 */
export function scriptOnTheWire(s: CompiledScript, sources: Record<string, string> = {}) {
  return {
    name: s.name,
    kind: s.kind,
    file: s.file,
    bundle: s.bundle,
    source_map: s.sourceMap,
    sources,
    definition: s.definition,
  };
}
