import assert from 'node:assert/strict'
import { shuffle, Xoshiro128, type Rng } from '../src/core/rng.js'

function draw (rng: Rng, n: number): number[] {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(rng.nextU32())
  return out
}

describe('Xoshiro128', () => {
  it('matches the reference xoshiro128** from the state {1, 2, 3, 4}', () => {
    // Blackman and Vigna's xoshiro128starstar.c, state s = {1, 2, 3, 4}: the first outputs, worked by hand
    // from the reference code (result = rotl(s[1] * 5, 7) * 9).
    const rng = new Xoshiro128(0)
    Object.assign(rng, { a: 1, b: 2, c: 3, d: 4 })
    assert.deepEqual(draw(rng, 3), [11520, 0, 5927040])
  })

  it('is a pure function of its seed', () => {
    assert.deepEqual(draw(new Xoshiro128(42), 1000), draw(new Xoshiro128(42), 1000))
    assert.equal(new Xoshiro128(42).seed, 42)
  })

  it('gives different streams for different seeds, including 0 and seeds that differ by one bit', () => {
    const streams = [0, 1, 2, 42, 0x80000000, 0xffffffff].map((s) => draw(new Xoshiro128(s), 8).join(','))
    assert.equal(new Set(streams).size, streams.length)
    assert.ok(draw(new Xoshiro128(0), 100).some((x) => x !== 0), 'seed 0 must not be a stuck state')
  })

  it('reads its seed as a 32-bit unsigned integer', () => {
    assert.equal(new Xoshiro128(-1).seed, 0xffffffff)
    assert.deepEqual(draw(new Xoshiro128(-1), 10), draw(new Xoshiro128(0xffffffff), 10))
    assert.deepEqual(draw(new Xoshiro128(2 ** 32 + 5), 10), draw(new Xoshiro128(5), 10))
  })

  it('nextU32 returns integers in [0, 2^32), float in [0, 1)', () => {
    const rng = new Xoshiro128(7)
    for (let i = 0; i < 10_000; i++) {
      const u = rng.nextU32()
      assert.ok(Number.isInteger(u) && u >= 0 && u < 2 ** 32, `nextU32 gave ${u}`)
      const f = rng.float()
      assert.ok(f >= 0 && f < 1, `float gave ${f}`)
    }
  })

  it('int(n) stays in [0, n) for small, odd and large n', () => {
    const rng = new Xoshiro128(8)
    for (const n of [1, 2, 3, 7, 10, 1000, 2 ** 31, 2 ** 32]) {
      for (let i = 0; i < 2000; i++) {
        const x = rng.int(n)
        assert.ok(Number.isInteger(x) && x >= 0 && x < n, `int(${n}) gave ${x}`)
      }
    }
    for (let i = 0; i < 100; i++) assert.equal(rng.int(1), 0)
  })

  it('int(n) is roughly uniform (chi-square, fixed seed)', () => {
    const rng = new Xoshiro128(12345)
    for (const n of [2, 6, 10, 17]) {
      const draws = 20_000 * n
      const counts = new Array<number>(n).fill(0)
      for (let i = 0; i < draws; i++) counts[rng.int(n)]++
      const expected = draws / n
      const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0)
      // The 99.99th percentile of chi-square with n-1 degrees of freedom is below 3n + 15 for these n.
      assert.ok(chi2 < 3 * n + 15, `int(${n}): chi-square ${chi2.toFixed(1)} with counts ${counts.join(',')}`)
    }
  })

  it('sets each output bit about half the time', () => {
    const rng = new Xoshiro128(2024)
    const ones = new Array<number>(32).fill(0)
    const draws = 20_000
    for (let i = 0; i < draws; i++) {
      const u = rng.nextU32()
      for (let bit = 0; bit < 32; bit++) if (((u >>> bit) & 1) === 1) ones[bit]++
    }
    for (let bit = 0; bit < 32; bit++) {
      const share = ones[bit] / draws
      assert.ok(share > 0.48 && share < 0.52, `bit ${bit} is set ${(share * 100).toFixed(1)}% of the time`)
    }
  })

  describe('fork', () => {
    it('is deterministic: the same seed and label give the same stream', () => {
      assert.deepEqual(draw(new Xoshiro128(1).fork('probe-order'), 100), draw(new Xoshiro128(1).fork('probe-order'), 100))
    })

    it('drawing from a fork does not move the parent', () => {
      const parent = new Xoshiro128(1)
      const twin = new Xoshiro128(1)
      const child = parent.fork('x')
      draw(child, 500)
      assert.deepEqual(draw(parent, 100), draw(twin, 100))
    })

    it('drawing from the parent does not move a fork, and a fork does not depend on when it was made', () => {
      const parent = new Xoshiro128(1)
      const early = parent.fork('x')
      draw(parent, 500)
      const late = parent.fork('x')
      assert.deepEqual(draw(early, 100), draw(late, 100))
    })

    it('different labels from one parent give different streams, none equal to the parent\'s', () => {
      const parent = new Xoshiro128(1)
      const labels = ['', 'a', 'b', 'probe-order', 'gossip', 'a-b', 'b-a', 'n1', 'n10', 'n100']
      const streams = [draw(new Xoshiro128(1), 16), ...labels.map((l) => draw(parent.fork(l), 16))].map((s) => s.join(','))
      assert.equal(new Set(streams).size, streams.length)
      assert.notDeepEqual(draw(parent.fork('a').fork('a'), 16), draw(parent.fork('a'), 16))
    })

    it('one label from different parents gives different streams', () => {
      const firsts = new Set<string>()
      for (let seed = 0; seed < 2000; seed++) firsts.add(draw(new Xoshiro128(seed).fork('probe-order'), 2).join(','))
      assert.equal(firsts.size, 2000)
    })

    it('forks are uncorrelated with their parent (no shared outputs in a long run)', () => {
      const parent = draw(new Xoshiro128(5), 5000)
      const child = new Set(draw(new Xoshiro128(5).fork('gossip'), 5000))
      const shared = parent.filter((x) => child.has(x)).length
      assert.ok(shared <= 2, `${shared} outputs in common`)
    })
  })

  describe('shuffle', () => {
    it('returns a permutation of its input, in place', () => {
      const items = Array.from({ length: 50 }, (_, i) => i)
      const out = shuffle(new Xoshiro128(3), items)
      assert.equal(out, items)
      assert.deepEqual([...out].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i))
      assert.notDeepEqual(out, Array.from({ length: 50 }, (_, i) => i))
    })

    it('is determined by the seed', () => {
      const a = shuffle(new Xoshiro128(3), Array.from({ length: 20 }, (_, i) => i))
      const b = shuffle(new Xoshiro128(3), Array.from({ length: 20 }, (_, i) => i))
      const c = shuffle(new Xoshiro128(4), Array.from({ length: 20 }, (_, i) => i))
      assert.deepEqual(a, b)
      assert.notDeepEqual(a, c)
    })

    it('puts each item in each place about equally often', () => {
      const rng = new Xoshiro128(11)
      const n = 5
      const trials = 50_000
      const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0))
      for (let t = 0; t < trials; t++) {
        const out = shuffle(rng, [0, 1, 2, 3, 4])
        out.forEach((item, place) => { counts[item][place]++ })
      }
      for (const row of counts) {
        for (const c of row) assert.ok(Math.abs(c - trials / n) < trials / n * 0.05, `counts ${JSON.stringify(counts)}`)
      }
    })
  })
})
