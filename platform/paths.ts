/** Paths inside the repository, independent of the current directory. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}
