import assert from 'node:assert/strict'
import { shuffle, Xoshiro128 } from '../src/core/rng.js'
import { MemberTable, type Member } from '../src/membership/member-table.js'
import type { MemberMeta, MemberState } from '../src/membership/types.js'

const BUCKETS = 16
const SELF = 'self'

function meta (name: string): MemberMeta {
  return { name, role: 'server', addrs: [], tags: [], state: new Uint8Array(0) }
}

interface Spec { id: string, state: MemberState, incarnation: number, metaVersion: number }

function build (specs: Spec[], buckets = BUCKETS): MemberTable {
  const t = new MemberTable(SELF, buckets)
  for (const s of specs) t.add(s.id, s.state, s.incarnation, s.metaVersion, meta(s.id), 0)
  return t
}

const ids = Array.from({ length: 60 }, (_, i) => `node-${i}`)
const states: MemberState[] = ['alive', 'suspect', 'dead', 'left']

function specs (rng: Xoshiro128): Spec[] {
  return [{ id: SELF, state: 'alive', incarnation: 0, metaVersion: 0 }, ...ids.map((id) => ({
    id,
    state: states[rng.int(states.length)],
    incarnation: rng.int(5),
    metaVersion: rng.int(3)
  }))]
}

function get (t: MemberTable, id: string): Member {
  const m = t.get(id)
  assert.ok(m !== undefined, `${id} is in the table`)
  return m
}

/** Checks the live and dead index arrays against the members' states. */
function assertIndexes (t: MemberTable, where: string): void {
  const live = new Set(t.live)
  const dead = new Set(t.dead)
  assert.equal(live.size, t.live.length, `${where}: duplicates in live: ${t.live.join(',')}`)
  assert.equal(dead.size, t.dead.length, `${where}: duplicates in dead: ${t.dead.join(',')}`)
  const expectLive = new Set<string>()
  const expectDead = new Set<string>()
  for (const m of t.values()) {
    if (m.id === t.selfId) continue
    if (m.state === 'alive' || m.state === 'suspect') expectLive.add(m.id)
    if (m.state === 'dead') expectDead.add(m.id)
  }
  assert.deepEqual([...live].sort(), [...expectLive].sort(), `${where}: live`)
  assert.deepEqual([...dead].sort(), [...expectDead].sort(), `${where}: dead`)
}

/** The digest a table holding exactly `t`'s current members would have if built from scratch. */
function rebuiltDigest (t: MemberTable): Uint32Array {
  const fresh = build([...t.values()].map((m) => ({ id: m.id, state: m.state, incarnation: m.incarnation, metaVersion: m.metaVersion })), t.buckets)
  return fresh.digest
}

function changedBuckets (before: Uint32Array, after: Uint32Array): number[] {
  const out: number[] = []
  for (let b = 0; b < before.length; b++) if (before[b] !== after[b]) out.push(b)
  return out
}

describe('MemberTable', () => {
  describe('digests', () => {
    it('do not depend on the order members were added in', () => {
      const rng = new Xoshiro128(1)
      for (let trial = 0; trial < 20; trial++) {
        const s = specs(rng)
        const a = build(s)
        const b = build(shuffle(rng, s.slice()))
        const c = build(s.slice().reverse())
        assert.deepEqual(a.digest, b.digest, `trial ${trial}`)
        assert.deepEqual(a.digest, c.digest, `trial ${trial}`)
      }
    })

    it('differ when the member sets differ', () => {
      const rng = new Xoshiro128(2)
      const s = specs(rng).map((x) => ({ ...x, state: 'alive' as MemberState }))
      const a = build(s)
      const b = build(s.slice(0, -1))
      assert.notDeepEqual(a.digest, b.digest)
    })

    it('cover only live members: dead and left members, in any number, add nothing', () => {
      const alive = ids.slice(0, 10).map((id) => ({ id, state: 'alive' as MemberState, incarnation: 1, metaVersion: 0 }))
      const gone = ids.slice(10).map((id, i) => ({ id, state: (i % 2 === 0 ? 'dead' : 'left') as MemberState, incarnation: 1, metaVersion: 0 }))
      assert.deepEqual(build([...alive, ...gone]).digest, build(alive).digest)
    })

    it('change only the touched member\'s bucket', () => {
      const rng = new Xoshiro128(3)
      const t = build(specs(rng).map((x) => ({ ...x, state: 'alive' as MemberState })))
      for (const id of ids.slice(0, 20)) {
        const m = get(t, id)
        const before = t.digest.slice()
        t.change(m, { incarnation: m.incarnation + 1 })
        assert.deepEqual(changedBuckets(before, t.digest), [m.bucket], `incarnation of ${id}`)
        const mid = t.digest.slice()
        t.change(m, { metaVersion: m.metaVersion + 1 })
        assert.deepEqual(changedBuckets(mid, t.digest), [m.bucket], `metaVersion of ${id}`)
        const beforeDeath = t.digest.slice()
        t.change(m, { state: 'dead' })
        assert.deepEqual(changedBuckets(beforeDeath, t.digest), [m.bucket], `death of ${id}`)
      }
    })

    it('do not change when a live member is only suspected (a suspicion travels by gossip)', () => {
      const t = build(ids.slice(0, 10).map((id) => ({ id, state: 'alive' as MemberState, incarnation: 2, metaVersion: 1 })))
      const before = t.digest.slice()
      t.change(get(t, ids[3]), { state: 'suspect' })
      assert.deepEqual(t.digest, before)
    })

    it('return to the old value when a change is undone', () => {
      const rng = new Xoshiro128(4)
      const t = build(specs(rng))
      const original = t.digest.slice()
      for (const id of ids) {
        const m = get(t, id)
        const { state, incarnation, metaVersion } = m
        const before = t.digest.slice()
        t.change(m, { state: state === 'alive' ? 'dead' : 'alive', incarnation: incarnation + 3, metaVersion: metaVersion + 1 })
        t.change(m, { state, incarnation, metaVersion })
        assert.deepEqual(t.digest, before, `undo on ${id}`)
      }
      assert.deepEqual(t.digest, original)
    })

    it('return to the old value when an added member is removed', () => {
      const t = build(ids.slice(0, 10).map((id) => ({ id, state: 'alive' as MemberState, incarnation: 0, metaVersion: 0 })))
      const before = t.digest.slice()
      const m = t.add('newcomer', 'alive', 7, 2, meta('newcomer'), 0)
      assert.notDeepEqual(t.digest, before)
      t.remove(m)
      assert.deepEqual(t.digest, before)
      assert.equal(t.get('newcomer'), undefined)
    })

    it('include this member itself', () => {
      const t = new MemberTable(SELF, BUCKETS)
      const self = t.add(SELF, 'alive', 0, 0, meta(SELF), 0)
      assert.ok(t.digest[self.bucket] !== 0)
      assert.deepEqual(t.live, [])
      t.change(self, { state: 'left' })
      assert.deepEqual(Array.from(t.digest), new Array(BUCKETS).fill(0))
    })

    it('put each member in bucket idHash mod buckets, and inBucket finds it there', () => {
      const t = build(ids.map((id) => ({ id, state: 'alive' as MemberState, incarnation: 0, metaVersion: 0 })))
      for (let b = 0; b < BUCKETS; b++) {
        for (const m of t.inBucket(b)) assert.equal(m.bucket, b)
      }
      const total = Array.from({ length: BUCKETS }, (_, b) => t.inBucket(b).length).reduce((x, y) => x + y, 0)
      assert.equal(total, t.size)
      for (const id of ids) assert.equal(get(t, id).bucket, get(t, id).idHash % BUCKETS)
    })
  })

  describe('live and dead indexes', () => {
    it('never list this member itself, whatever its state', () => {
      const t = new MemberTable(SELF, BUCKETS)
      const self = t.add(SELF, 'alive', 0, 0, meta(SELF), 0)
      for (const state of ['suspect', 'dead', 'left', 'alive'] as MemberState[]) {
        t.change(self, { state })
        assert.deepEqual(t.live, [])
        assert.deepEqual(t.dead, [])
      }
    })

    it('property: stay consistent with the members\' states under random add/change/remove (seeded)', () => {
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const rng = new Xoshiro128(seed)
        const t = new MemberTable(SELF, 8)
        t.add(SELF, 'alive', 0, 0, meta(SELF), 0)
        const pool = Array.from({ length: 25 }, (_, i) => `m${i}`)
        for (let op = 0; op < 600; op++) {
          const id = rng.float() < 0.05 ? SELF : pool[rng.int(pool.length)]
          const m = t.get(id)
          const where = `seed ${seed} op ${op}`
          if (m === undefined) {
            t.add(id, states[rng.int(states.length)], rng.int(4), rng.int(4), meta(id), op)
          } else if (id !== SELF && rng.float() < 0.2) {
            t.remove(m)
            assert.equal(t.get(id), undefined, where)
          } else {
            const change: Partial<Spec> = {}
            if (rng.float() < 0.7) change.state = states[rng.int(states.length)]
            if (rng.float() < 0.3) change.incarnation = m.incarnation + rng.int(2)
            if (rng.float() < 0.3) change.metaVersion = m.metaVersion + 1
            t.change(m, change)
          }
          assertIndexes(t, where)
          assert.deepEqual(t.digest, rebuiltDigest(t), `${where}: digest differs from a rebuild`)
        }
      }
    })
  })
})
