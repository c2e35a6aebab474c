/**
 * A small seeded random source for simulations: xoshiro128** (Blackman & Vigna), seeded through
 * splitmix32 from a hash of the seed, plus the normal and Student-t draws the market simulator
 * needs. The integer stream is exact everywhere (`Math.imul`, shifts); the normal draws use
 * `Math.log/sqrt/sin/cos`, which Node and Deno share (both V8, fdlibm ports), so a seed gives
 * the same candles in every runtime the project uses. Not for cryptography.
 */

export type RandomSource = {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal, by the Box–Muller transform. */
  normal(): number;
  /** Student-t with `df` degrees of freedom (integer ≥ 3), scaled to unit variance. */
  studentT(df: number): number;
};

export function createRandom(seed: number | string): RandomSource {
  let sm = hashSeed(seed);
  const splitmix32 = () => {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let d = splitmix32();

  const nextUint32 = () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const uniform = () => nextUint32() / 0x1_0000_0000;

  let spareNormal: number | undefined;
  const normal = () => {
    if (spareNormal !== undefined) {
      const value = spareNormal;
      spareNormal = undefined;
      return value;
    }
    const u1 = 1 - uniform(); // (0, 1]: log(0) would be -Infinity
    const u2 = uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  };

  const studentT = (df: number) => {
    if (!Number.isInteger(df) || df < 3)
      throw new Error(`Student-t degrees of freedom must be an integer ≥ 3, got ${df}`);
    let chiSquare = 0;
    for (let i = 0; i < df; i++) chiSquare += normal() ** 2;
    return (normal() / Math.sqrt(chiSquare / df)) * Math.sqrt((df - 2) / df);
  };

  return { uniform, normal, studentT };
}

/** FNV-1a over the seed's text: any number or string gives a well-spread 32-bit start. */
function hashSeed(seed: number | string): number {
  const text = typeof seed === 'number' ? `n:${seed}` : `s:${seed}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
