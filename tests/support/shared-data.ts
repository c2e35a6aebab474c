/**
 * Locates `../shared/data` (real market data kept beside the project checkout, never copied
 * into the repository). Tests that need it call these helpers, which throw — so the test fails
 * and says why — when the folder is absent, instead of skipping or passing silently.
 * `TRADEFLOW_SHARED_DATA` overrides the location (e.g. in CI).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function sharedDataDir(): string {
  const dir = process.env['TRADEFLOW_SHARED_DATA'] ?? resolve(repoRoot, '..', 'shared', 'data');
  if (!existsSync(dir)) {
    throw new Error(
      `../shared/data is missing: expected it at ${dir} (beside the project checkout; ` +
        'set TRADEFLOW_SHARED_DATA to point elsewhere). Tests that read real market data cannot run without it.',
    );
  }
  return dir;
}

/** Absolute path of a file in `../shared/data/ohlcv`, checked to exist. */
export function sharedOhlcvPath(fileName: string): string {
  const path = join(sharedDataDir(), 'ohlcv', fileName);
  if (!existsSync(path)) {
    throw new Error(`../shared/data is missing ohlcv/${fileName}: expected it at ${path}`);
  }
  return path;
}

/** The text of a file in `../shared/data/ohlcv`. */
export function readSharedOhlcv(fileName: string): string {
  return readFileSync(sharedOhlcvPath(fileName), 'utf8');
}
