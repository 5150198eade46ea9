/**
 * The injected source of randomness. Protocols never draw from the platform's generator: the host gives them an `Rng`, so a
 * simulator run is a pure function of its seed (ARCHITECTURE.md rule 2).
 */
export interface Rng {
  /** A uniform integer in [0, 2^32). */
  nextU32 (): number
  /** A uniform float in [0, 1). */
  float (): number
  /** A uniform integer in [0, n). `n` must be a positive integer. */
  int (n: number): number
  /** An independent stream derived from this one's seed and `label`; drawing from it does not move this one. */
  fork (label: string): Rng
}

/** splitmix32: turns any 32-bit seed into well-spread state words. */
function splitmix32 (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
}

function hashLabel (seed: number, label: string): number {
  // Mix the seed fully before the label, so (seed, label) pairs cannot cancel out.
  let h = splitmix32(seed ^ 0x6a09e667)() ^ 0x811c9dc5
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * xoshiro128**: small, fast, and good enough for simulation and protocol jitter (not for keys).
 * Reference: Blackman and Vigna, "Scrambled linear pseudorandom number generators", 2018.
 */
export class Xoshiro128 implements Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  readonly seed: number

  constructor (seed: number) {
    this.seed = seed >>> 0
    const sm = splitmix32(this.seed)
    this.a = sm(); this.b = sm(); this.c = sm(); this.d = sm()
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1
  }

  nextU32 (): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0
    const t = this.b << 9
    this.c ^= this.a
    this.d ^= this.b
    this.b ^= this.c
    this.a ^= this.d
    this.c ^= t
    this.d = rotl(this.d, 11)
    return result
  }

  float (): number {
    return this.nextU32() / 4294967296
  }

  int (n: number): number {
    return Math.floor(this.float() * n)
  }

  fork (label: string): Rng {
    return new Xoshiro128(hashLabel(this.seed, label))
  }
}

function rotl (x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** Fisher-Yates, in place, with the injected source. */
export function shuffle<T> (rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const tmp = items[i]
    items[i] = items[j]
    items[j] = tmp
  }
  return items
}
