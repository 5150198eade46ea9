import assert from 'node:assert/strict'
import { Xoshiro128 } from '../src/core/rng.js'
import { BroadcastQueue } from '../src/membership/broadcast-queue.js'
import { fieldCost } from '../src/wire/frame.js'

/**
 * A payload of `size` bytes whose first byte names it, so tests can tell payloads apart. The default is the
 * size of a small real update (a SUSPECT with short ids); the queue may stop looking once less than that is
 * left, so the budget tests use payloads at least this big.
 */
function news (tag: number, size = 20): Uint8Array {
  const b = new Uint8Array(size)
  b[0] = tag
  return b
}

const tags = (out: Uint8Array[]): number[] => out.map((b) => b[0])

/** Queues `bytes` about `about`, with a version naming its content (its tag and size). */
function put (q: BroadcastQueue, about: string, bytes: Uint8Array): void {
  q.enqueue(about, version(bytes), bytes)
}

const version = (bytes: Uint8Array): string => `${bytes[0]}/${bytes.length}`

/** Room for exactly one default payload (its field overhead included). */
const ONE = fieldCost(20)
const PLENTY = 1_000_000

describe('BroadcastQueue', () => {
  it('sends the fewest-sent news first, oldest first among equals', () => {
    const q = new BroadcastQueue(100)
    put(q, 'a', news(1))
    put(q, 'b', news(2))
    put(q, 'c', news(3))
    assert.deepEqual(tags(q.take(ONE, 10)), [1])
    assert.deepEqual(tags(q.take(ONE, 10)), [2])
    put(q, 'd', news(4))
    // c and d have never been sent; a and b have been sent once.
    assert.deepEqual(tags(q.take(ONE, 10)), [3])
    assert.deepEqual(tags(q.take(ONE, 10)), [4])
    assert.deepEqual(tags(q.take(ONE, 10)), [1])
    assert.deepEqual(tags(q.take(2 * ONE, 10)), [2, 3])
  })

  it('takes everything that fits in one call, in transmit order', () => {
    const q = new BroadcastQueue(100)
    put(q, 'a', news(1))
    put(q, 'b', news(2))
    assert.deepEqual(tags(q.take(ONE, 10)), [1])
    put(q, 'c', news(3))
    assert.deepEqual(tags(q.take(PLENTY, 10)), [2, 3, 1])
  })

  it('retires news once it has been sent `limit` times', () => {
    const q = new BroadcastQueue(100)
    put(q, 'a', news(1))
    put(q, 'b', news(2))
    assert.deepEqual(tags(q.take(PLENTY, 3)), [1, 2])
    assert.deepEqual(tags(q.take(PLENTY, 3)), [1, 2])
    assert.equal(q.size, 2)
    assert.deepEqual(tags(q.take(PLENTY, 3)), [1, 2])
    assert.equal(q.size, 0)
    assert.deepEqual(q.take(PLENTY, 3), [])
  })

  it('retires against the limit passed at each take (the limit grows with the cluster)', () => {
    const q = new BroadcastQueue(100)
    put(q, 'a', news(1))
    q.take(PLENTY, 4)
    q.take(PLENTY, 4)
    assert.equal(q.size, 1)
    q.take(PLENTY, 2) // sent 3 times now, over a limit of 2
    assert.equal(q.size, 0)
  })

  it('replaces older news about the same member, and the new news starts unsent', () => {
    const q = new BroadcastQueue(100)
    put(q, 'a', news(1))
    put(q, 'b', news(2))
    q.take(PLENTY, 3)
    q.take(PLENTY, 3) // a and b: sent twice, one transmit left
    put(q, 'a', news(9))
    assert.equal(q.size, 2)
    assert.deepEqual(tags(q.take(ONE, 3)), [9], 'the replacement has been sent fewer times, so it goes first')
    assert.deepEqual(tags(q.take(PLENTY, 3)), [9, 2])
    assert.equal(q.size, 1, 'b reached its limit; the replacement has one transmit left')
    assert.deepEqual(tags(q.take(PLENTY, 3)), [9])
    assert.equal(q.size, 0)
  })

  describe('quiet news (MembershipConfig.quietMetaNews)', () => {
    it('counts only loud news in `loud`, and both kinds in `size` and in what `take` returns', () => {
      const q = new BroadcastQueue(100)
      q.enqueue('a', 'v1', news(1), true)
      assert.equal(q.size, 1)
      assert.equal(q.loud, 0, 'quiet news alone is no reason to send a packet')
      q.enqueue('b', 'v1', news(2))
      assert.equal(q.loud, 1)
      assert.deepEqual(tags(q.take(PLENTY, 1)).sort(), [1, 2], 'quiet news rides on whatever packet goes out')
      assert.equal(q.size, 0)
      assert.equal(q.loud, 0, 'retiring loud news at its limit counts it out')
    })

    it('keeps news loud when quiet news replaces it unsent (it carries what the loud news said)', () => {
      const q = new BroadcastQueue(100)
      q.enqueue('a', 'join', news(1))
      q.enqueue('a', 'meta', news(2), true)
      assert.equal(q.loud, 1)
      q.take(PLENTY, 1)
      q.enqueue('a', 'meta2', news(3), true)
      assert.equal(q.loud, 0, 'once the loud news is retired, new quiet news about the member is quiet')
      q.enqueue('a', 'suspect', news(4))
      assert.equal(q.loud, 1, 'loud news replacing quiet news is loud')
    })

    it('counts out loud news it drops for room, and loud news retired by echoes', () => {
      const q = new BroadcastQueue(2, 0)
      q.enqueue('a', 'v', news(1))
      q.enqueue('b', 'v', news(2))
      q.take(ONE, 5)
      q.enqueue('c', 'v', news(3))
      assert.equal(q.size, 2)
      assert.equal(q.loud, 2, 'the most-sent news was dropped and counted out')
      q.heard('c', 'v', 1)
      assert.equal(q.loud, 1)
    })
  })

  it('never returns the replaced bytes', () => {
    const q = new BroadcastQueue(100)
    put(q, 'a', news(1))
    put(q, 'a', news(2))
    put(q, 'a', news(3))
    assert.equal(q.size, 1)
    assert.deepEqual(tags(q.take(PLENTY, 10)), [3])
  })

  describe('heard: the same news coming back from others (counter rumor mongering)', () => {
    it('does nothing while little news is queued, so every piece gets its full retransmit budget', () => {
      const q = new BroadcastQueue(100, 4)
      const a = news(1)
      put(q, 'a', a)
      for (let i = 0; i < 10; i++) q.heard('a', version(a), 3)
      assert.deepEqual(tags(q.take(PLENTY, 3)), [1])
      assert.deepEqual(tags(q.take(PLENTY, 3)), [1])
      assert.deepEqual(tags(q.take(PLENTY, 3)), [1], 'three transmits despite ten echoes')
      assert.equal(q.size, 0)
    })

    it('counts as at least one transmit, and retires the news at the limit', () => {
      const q = new BroadcastQueue(100, 0)
      const a = news(1)
      put(q, 'a', a)
      q.heard('a', version(a), 3)
      q.heard('a', version(a), 3)
      assert.equal(q.size, 1)
      assert.deepEqual(tags(q.take(PLENTY, 3)), [1], 'sent once more, the third transmit')
      assert.equal(q.size, 0)
    })

    it('retires news after at most `limit` echoes, and one echo does not retire news with a high limit', () => {
      for (const limit of [1, 2, 4, 8, 12, 40]) {
        const q = new BroadcastQueue(100, 0)
        const a = news(1)
        put(q, 'a', a)
        q.heard('a', version(a), limit)
        assert.equal(q.size, limit === 1 ? 0 : 1, `limit ${limit}: after one echo`)
        let echoes = 1
        while (q.size > 0) { q.heard('a', version(a), limit); echoes++ }
        assert.ok(echoes <= limit, `limit ${limit}: ${echoes} echoes`)
      }
    })

    it('moves the news behind news sent fewer times', () => {
      const q = new BroadcastQueue(100, 0)
      const a = news(1)
      put(q, 'a', a)
      put(q, 'b', news(2))
      q.heard('a', version(a), 3)
      assert.deepEqual(tags(q.take(ONE, 3)), [2])
      assert.deepEqual(tags(q.take(ONE, 3)), [1])
    })

    it('is ignored for other news about the same member, and for members with nothing queued', () => {
      const q = new BroadcastQueue(100, 0)
      put(q, 'a', news(1))
      q.heard('a', version(news(7)), 1)
      q.heard('zz', version(news(1)), 1)
      assert.equal(q.size, 1)
      assert.deepEqual(tags(q.take(ONE, 10)), [1])
    })

    it('does not touch the replacement after newer news replaced what was heard', () => {
      const q = new BroadcastQueue(100, 0)
      const old = news(1)
      put(q, 'a', old)
      put(q, 'a', news(2))
      q.heard('a', version(old), 1)
      assert.equal(q.size, 1)
      assert.deepEqual(tags(q.take(PLENTY, 10)), [2])
    })
  })

  describe('the byte budget', () => {
    it('counts each entry\'s tag and length prefix, not just its payload', () => {
      assert.equal(fieldCost(20), 22)
      const q = new BroadcastQueue(100)
      put(q, 'a', news(1, 20))
      assert.deepEqual(q.take(21, 10), [], 'a 20-byte payload costs 22 bytes in a packet')
      assert.deepEqual(tags(q.take(22, 10)), [1])
    })

    it('uses a two-byte length for payloads of 128 bytes and more', () => {
      const q = new BroadcastQueue(100)
      put(q, 'a', news(1, 200))
      assert.equal(fieldCost(200), 203)
      assert.deepEqual(q.take(202, 10), [])
      assert.deepEqual(tags(q.take(203, 10)), [1])
    })

    it('fills the budget exactly and no further', () => {
      const q = new BroadcastQueue(100)
      for (let i = 0; i < 10; i++) put(q, `m${i}`, news(i))
      assert.deepEqual(tags(q.take(3 * ONE, 10)), [0, 1, 2])
      assert.deepEqual(tags(q.take(3 * ONE - 1, 10)), [3, 4])
    })

    it('skips news too big for what is left and takes smaller news behind it', () => {
      const q = new BroadcastQueue(100)
      put(q, 'big', news(1, 100))
      put(q, 'small', news(2, 20))
      assert.deepEqual(tags(q.take(50, 10)), [2])
      assert.equal(q.size, 2)
      assert.deepEqual(tags(q.take(PLENTY, 10)), [1, 2])
    })

    it('property: what is taken always fits the budget', () => {
      const q = new BroadcastQueue(1000)
      const rng = new Xoshiro128(7)
      const next = (n: number): number => rng.int(n)
      for (let round = 0; round < 500; round++) {
        for (let i = next(5); i > 0; i--) put(q, `m${next(50)}`, news(next(256), 1 + next(300)))
        const budget = next(1500)
        const out = q.take(budget, 1 + next(6))
        const used = out.reduce((sum, b) => sum + fieldCost(b.length), 0)
        assert.ok(used <= budget, `round ${round}: took ${used} bytes for a budget of ${budget}`)
      }
    })
  })

  describe('the maxQueued bound', () => {
    it('never holds more than maxQueued pieces of news', () => {
      const q = new BroadcastQueue(3)
      for (let i = 0; i < 10; i++) {
        put(q, `m${i}`, news(i))
        assert.ok(q.size <= 3, `size ${q.size} after ${i + 1} enqueues`)
      }
      assert.equal(q.size, 3)
    })

    it('drops the most-sent news first', () => {
      const q = new BroadcastQueue(3)
      put(q, 'a', news(1))
      put(q, 'b', news(2))
      put(q, 'c', news(3))
      q.take(PLENTY, 10) // a, b, c: once
      q.take(ONE, 10) // a: twice
      put(q, 'd', news(4))
      assert.equal(q.size, 3)
      const seen = new Set<number>()
      for (let i = 0; i < 20; i++) for (const t of tags(q.take(PLENTY, 10))) seen.add(t)
      assert.deepEqual([...seen].sort(), [2, 3, 4], 'a, the most sent, was dropped')
    })

    it('among news sent equally often, drops the oldest and keeps the newest', () => {
      const q = new BroadcastQueue(2)
      put(q, 'a', news(1))
      put(q, 'b', news(2))
      put(q, 'c', news(3))
      assert.deepEqual(tags(q.take(PLENTY, 10)), [2, 3])
    })

    it('replacing news about a queued member does not count against the bound', () => {
      const q = new BroadcastQueue(2)
      put(q, 'a', news(1))
      put(q, 'b', news(2))
      put(q, 'a', news(3))
      assert.equal(q.size, 2)
      assert.deepEqual(tags(q.take(PLENTY, 10)), [2, 3])
    })
  })
})
