import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { CompileProblem } from './compile.js';

// Declarations of the sandbox's globals (URL, Buffer, …): outside src/ so only scripts see them.
const sandboxGlobals = fileURLToPath(new URL('../types/sandbox-globals.d.ts', import.meta.url));

/**
 * Source files parsed once per process and shared by every integration's program: lib.d.ts,
 * zod's and the SDK's declarations are most of what a check reads, and parsing them again for
 * each compile was most of `weft compile`'s time. An entry is reused while the file's mtime and
 * size are unchanged.
 */
const parsedFiles = new Map<string, { mtimeMs: number; size: number; target: string; file: ts.SourceFile }>();

/** The last builder program per integration, so an unchanged file is not checked again. */
const builders = new Map<string, ts.SemanticDiagnosticsBuilderProgram>();
/** Integrations whose builder is kept; the least recently checked is dropped beyond this. */
const MAX_KEPT_INTEGRATIONS = 8;

function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  // The incremental host versions each source file by a hash of its text, which the builder
  // compares to decide what to re-check.
  const host = ts.createIncrementalCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    let stat: { mtimeMs: number; size: number } | undefined;
    try {
      stat = statSync(fileName);
    } catch {
      return read(fileName, languageVersion, onError, shouldCreate);
    }
    const key = path.resolve(fileName);
    // A fresh options object per program: compare what it says, not its identity.
    const target =
      typeof languageVersion === 'object'
        ? `${languageVersion.languageVersion}/${languageVersion.impliedNodeFormat}/${languageVersion.jsDocParsingMode}`
        : String(languageVersion);
    const cached = parsedFiles.get(key);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size && cached.target === target)
      return cached.file;
    const file = read(fileName, languageVersion, onError, shouldCreate);
    if (file) parsedFiles.set(key, { mtimeMs: stat.mtimeMs, size: stat.size, target, file });
    return file;
  };
  return host;
}

/**
 * Strict TypeScript check of an integration's scripts, with `nango`/`weft` resolved to the SDK
 * types. One program for all scripts of the integration, kept for the next check of the same
 * integration in this process (`weft dev`, a server or test run compiling repeatedly): the
 * builder re-checks only files that changed and what depends on them.
 */
export function typeCheck(integrationDir: string, files: string[], sdkEntry: string): CompileProblem[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    lib: ['lib.es2022.d.ts'],
    types: [],
    baseUrl: integrationDir,
    paths: { nango: [sdkEntry], weft: [sdkEntry] },
  };
  const key = `${path.resolve(integrationDir)}\0${sdkEntry}`;
  const previous = builders.get(key);
  builders.delete(key);
  const builder = ts.createSemanticDiagnosticsBuilderProgram(
    [...files.map((f) => path.resolve(integrationDir, f)), sandboxGlobals],
    options,
    cachingHost(options),
    previous,
  );
  builders.set(key, builder);
  for (const stale of [...builders.keys()].slice(0, Math.max(0, builders.size - MAX_KEPT_INTEGRATIONS)))
    builders.delete(stale);
  const diagnostics = [
    ...builder.getConfigFileParsingDiagnostics(),
    ...builder.getOptionsDiagnostics(),
    ...builder.getSyntacticDiagnostics(),
    ...builder.getGlobalDiagnostics(),
    ...builder.getSemanticDiagnostics(),
  ].filter((d) => d.category === ts.DiagnosticCategory.Error);
  return diagnostics
    .filter((d) => d.file === undefined || !d.file.fileName.includes('node_modules'))
    .filter((d) => d.file === undefined || !path.resolve(d.file.fileName).startsWith(path.dirname(sdkEntry)))
    .filter((d) => d.file === undefined || path.resolve(d.file.fileName) !== sandboxGlobals)
    .map((d) => {
      const position =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
      return {
        file: d.file ? path.relative(integrationDir, d.file.fileName) : integrationDir,
        line: position.line + 1,
        column: position.character + 1,
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      };
    });
}
