/**
 * Seeded randomness for Thompson sampling. Everything random in a decision comes from its seed, so
 * the decision can be recomputed bit for bit; nothing reads `Math.random`.
 */

/** A uniform generator on [0, 1). */
export type Random = () => number;

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state generator, fast and well distributed
 * for simulation; not for cryptography.
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, 32 bits, over the UTF-16 code units of a string. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finaliser: spreads every input bit over the whole word. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The generator of one named sub-stream of a seed (one per catalog action), so an action's sample
 * depends only on the seed and its own id: adding or reordering actions changes no other sample.
 */
export function substream(seed: number, key: string): Random {
  return mulberry32(fmix32((seed >>> 0) ^ fnv1a32(key)));
}

/** A 32-bit seed derived from parts (e.g. tenant, customer, triggering event): a retry gets the same seed. */
export function seedFrom(...parts: readonly string[]): number {
  return fmix32(fnv1a32(parts.map((p) => `${p.length}:${p}`).join('|')));
}

export const isSeed = (seed: number): boolean => Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff;
