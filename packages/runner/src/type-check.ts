import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { CompileProblem } from './compile.js';

// Declarations of the sandbox's globals (URL, Buffer, …): outside src/ so only scripts see them.
const sandboxGlobals = fileURLToPath(new URL('../types/sandbox-globals.d.ts', import.meta.url));

/**
 * Strict TypeScript check of an integration's scripts, with `nango`/`weft` resolved to the SDK
 * types. One program for all scripts of the integration (the expensive part is loading zod's
 * declarations, so it is paid once).
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
  const program = ts.createProgram([...files.map((f) => path.resolve(integrationDir, f)), sandboxGlobals], options);
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
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
