/**
 * What an API response may show of a secret: a fixed run of bullets (so the length is not
 * revealed) and, for secrets long enough that four characters give nothing away, the last four.
 */
const BULLETS = '••••••';
const VISIBLE_SUFFIX = 4;
const MIN_LENGTH_FOR_SUFFIX = 16;

export function maskSecret(value: string | null | undefined): string {
  if (!value) return BULLETS;
  const chars = [...value];
  if (chars.length < MIN_LENGTH_FOR_SUFFIX) return BULLETS;
  return BULLETS + chars.slice(-VISIBLE_SUFFIX).join('');
}
