import { Xoshiro128, type Rng } from '@dreammesh/protocols'

/**
 * The seed of a randomized test: `DREAMMESH_FUZZ_SEED` when set (to replay a failure), else a fresh one.
 * The test prints it, so any failure can be replayed.
 */
export function fuzzSeed (env: NodeJS.ProcessEnv = process.env): number {
  const given = env.DREAMMESH_FUZZ_SEED
  if (given !== undefined && given !== '') {
    const seed = Number(given)
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new Error(`DREAMMESH_FUZZ_SEED must be a uint32, not ${JSON.stringify(given)}`)
    return seed
  }
  return Math.floor(Math.random() * 0x1_0000_0000)
}

/** A seeded source of test bytes over the project's own PRNG. */
export class SeededBytes {
  readonly rng: Rng

  constructor (seed: number | Rng) {
    this.rng = typeof seed === 'number' ? new Xoshiro128(seed) : seed
  }

  /** An independent stream for one part of a test, so adding draws to one part does not shift the others. */
  fork (label: string): SeededBytes {
    return new SeededBytes(this.rng.fork(label))
  }

  int (n: number): number {
    return this.rng.int(n)
  }

  /** An integer in [min, max]. */
  between (min: number, max: number): number {
    return min + this.rng.int(max - min + 1)
  }

  pick<T> (items: readonly T[]): T {
    return items[this.rng.int(items.length)]
  }

  bytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.rng.int(256)
    return out
  }

  /** A copy of `bytes` with `flips` random bits flipped. */
  flipBits (bytes: Uint8Array, flips: number): Uint8Array {
    const out = bytes.slice()
    if (out.length === 0) return out
    for (let i = 0; i < flips; i++) out[this.rng.int(out.length)] ^= 1 << this.rng.int(8)
    return out
  }
}
