// Builds dist/main.js: the CLI's entry and its command declarations as one plain-JS file, so
// `weft --help` and the API commands start without tsx (whose on-the-fly transform costs more
// than the rest of the start). Everything a command action imports on demand (see
// src/command-modules.ts) stays external and points at the TypeScript sources, loaded through
// tsx only by the commands that need them. Plain JS on purpose: it runs before tsx is loaded.
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cliRoot = fileURLToPath(new URL('..', import.meta.url));
const entry = path.join(cliRoot, 'src', 'main.ts');
const outDir = path.join(cliRoot, 'dist');
/** The built entry. */
export const precompiledMain = path.join(outDir, 'main.js');
/** The source files the build read (relative to the cli package), to tell when it is stale. */
const inputsFile = path.join(outDir, 'main.inputs.json');

/** Imports the build leaves to Node: packages, and every on-demand import (TypeScript sources). */
const externals = {
  name: 'weft-cli-externals',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const relative = args.path.startsWith('.') || args.path.startsWith('/');
      if (!relative) return { path: args.path, external: true };
      if (args.kind !== 'dynamic-import') return undefined;
      const source = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      return { path: `./${path.relative(outDir, source).split(path.sep).join('/')}`, external: true };
    });
  },
};

/** True when dist/main.js exists and no source it was built from changed since. */
export async function isFresh() {
  try {
    const built = (await stat(precompiledMain)).mtimeMs;
    const inputs = JSON.parse(await readFile(inputsFile, 'utf8'));
    const times = await Promise.all(inputs.map(async (file) => (await stat(path.join(cliRoot, file))).mtimeMs));
    return times.every((time) => time <= built);
  } catch {
    return false;
  }
}

/** Build dist/main.js (atomically: parallel CLI processes may build at the same time). */
export async function precompile() {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: precompiledMain,
    write: false,
    metafile: true,
    define: { WEFT_PRECOMPILED: 'true' },
    logLevel: 'silent',
    plugins: [externals],
  });
  const code = result.outputFiles.find((file) => file.path.endsWith('.js'))?.text ?? '';
  const inputs = [
    ...Object.keys(result.metafile.inputs).map((file) => path.relative(cliRoot, path.resolve(file))),
    'bin/precompile.js',
  ];
  const { mkdir } = await import('node:fs/promises');
  await mkdir(outDir, { recursive: true });
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  await writeFile(`${inputsFile}${suffix}`, JSON.stringify(inputs));
  await writeFile(`${precompiledMain}${suffix}`, code);
  // Inputs first: a reader that sees the new main.js also sees the list it was built from.
  await rename(`${inputsFile}${suffix}`, inputsFile);
  await rename(`${precompiledMain}${suffix}`, precompiledMain);
  return precompiledMain;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await precompile();
  process.stdout.write(`Built ${path.relative(process.cwd(), precompiledMain)}\n`);
}
