import assert from 'node:assert/strict'
import { Deadlines } from '../src/core/deadlines.js'
import { Xoshiro128 } from '../src/core/rng.js'

describe('Deadlines', () => {
  it('is empty at first', () => {
    const d = new Deadlines<string>()
    assert.equal(d.size, 0)
    assert.equal(d.next(), undefined)
    assert.deepEqual(d.popDue(1e12), [])
  })

  it('reports the earliest deadline and pops due keys earliest first', () => {
    const d = new Deadlines<string>()
    d.set('c', 30)
    d.set('a', 10)
    d.set('d', 40)
    d.set('b', 20)
    assert.equal(d.size, 4)
    assert.equal(d.next(), 10)
    assert.equal(d.at('b'), 20)
    assert.deepEqual(d.popDue(25), ['a', 'b'])
    assert.equal(d.next(), 30)
    assert.equal(d.has('a'), false)
    assert.equal(d.has('c'), true)
    assert.deepEqual(d.popDue(100), ['c', 'd'])
    assert.equal(d.size, 0)
    assert.equal(d.next(), undefined)
  })

  it('pops a deadline exactly at its time, not before', () => {
    const d = new Deadlines<string>()
    d.set('a', 10)
    assert.deepEqual(d.popDue(9.999), [])
    assert.deepEqual(d.popDue(10), ['a'])
  })

  it('replaces a key\'s deadline with a later one', () => {
    const d = new Deadlines<string>()
    d.set('a', 10)
    d.set('b', 20)
    d.set('a', 50)
    assert.equal(d.size, 2)
    assert.equal(d.at('a'), 50)
    assert.equal(d.next(), 20)
    assert.deepEqual(d.popDue(30), ['b'])
    assert.equal(d.next(), 50)
    assert.deepEqual(d.popDue(50), ['a'])
    assert.equal(d.next(), undefined)
  })

  it('replaces a key\'s deadline with an earlier one, and the old one never fires', () => {
    const d = new Deadlines<string>()
    d.set('a', 50)
    d.set('a', 10)
    assert.equal(d.next(), 10)
    assert.deepEqual(d.popDue(10), ['a'])
    assert.equal(d.next(), undefined)
    assert.deepEqual(d.popDue(100), [])
  })

  it('deletes a key, and the stale entry neither fires nor shows in next()', () => {
    const d = new Deadlines<string>()
    d.set('a', 10)
    d.set('b', 20)
    d.delete('a')
    assert.equal(d.has('a'), false)
    assert.equal(d.at('a'), undefined)
    assert.equal(d.size, 1)
    assert.equal(d.next(), 20)
    assert.deepEqual(d.popDue(15), [])
    assert.deepEqual(d.popDue(20), ['b'])
    d.delete('nothing') // deleting an unknown key is harmless
  })

  it('can set a key again after deleting or popping it', () => {
    const d = new Deadlines<string>()
    d.set('a', 10)
    d.delete('a')
    d.set('a', 30)
    assert.deepEqual(d.popDue(20), [])
    assert.deepEqual(d.popDue(30), ['a'])
    d.set('a', 40)
    assert.deepEqual(d.popDue(40), ['a'])
  })

  it('breaks ties in the order the deadlines were set (a re-set goes to the back)', () => {
    const d = new Deadlines<string>()
    d.set('x', 5)
    d.set('y', 5)
    d.set('z', 5)
    assert.deepEqual(d.popDue(5), ['x', 'y', 'z'])
    d.set('x', 7)
    d.set('y', 7)
    d.set('x', 7)
    assert.deepEqual(d.popDue(7), ['y', 'x'])
  })

  it('property: agrees with a simple model under random set/delete/pop sequences', () => {
    const rng = new Xoshiro128(99)
    for (let run = 0; run < 50; run++) {
      const d = new Deadlines<number>()
      // The model: key -> [atMs, order of the set that put it there].
      const model = new Map<number, [number, number]>()
      let order = 0
      let now = 0
      for (let op = 0; op < 400; op++) {
        const r = rng.float()
        const key = rng.int(30)
        if (r < 0.55) {
          const atMs = now + rng.int(50)
          d.set(key, atMs)
          model.set(key, [atMs, order++])
        } else if (r < 0.7) {
          d.delete(key)
          model.delete(key)
        } else {
          now += rng.int(20)
          const expected = [...model.entries()]
            .filter(([, [atMs]]) => atMs <= now)
            .sort((a, b) => a[1][0] - b[1][0] || a[1][1] - b[1][1])
            .map(([k]) => k)
          for (const k of expected) model.delete(k)
          assert.deepEqual(d.popDue(now), expected, `run ${run} op ${op}`)
        }
        assert.equal(d.size, model.size, `run ${run} op ${op}: size`)
        const earliest = [...model.values()].reduce<number | undefined>((m, [atMs]) => m === undefined || atMs < m ? atMs : m, undefined)
        assert.equal(d.next(), earliest, `run ${run} op ${op}: next`)
        assert.equal(d.at(key), model.get(key)?.[0], `run ${run} op ${op}: at(${key})`)
      }
    }
  })
})
