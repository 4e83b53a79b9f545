import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

const SCRIPT_FOLDERS = ['syncs', 'actions', 'on-events', 'post-connection-scripts'];
const hasScripts = (dir: string) => SCRIPT_FOLDERS.some((folder) => existsSync(path.join(dir, folder)));

/** Integration directories under `target`: the directory itself when it holds script folders, else its children. */
export async function integrationDirs(target: string): Promise<string[]> {
  const dir = path.resolve(target);
  if (hasScripts(dir)) return [dir];
  if (!existsSync(dir)) throw new Error(`${target} does not exist`);
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && hasScripts(path.join(dir, e.name)))
    .map((e) => path.join(dir, e.name))
    .sort();
}
