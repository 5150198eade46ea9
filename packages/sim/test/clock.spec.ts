import assert from 'node:assert/strict'
import { Xoshiro128 } from '@dreammesh/protocols'
import { EventQueue } from '../src/clock/event-queue.js'
import { NodeClock } from '../src/clock/node-clock.js'
import { NodeRuntime } from '../src/clock/node-runtime.js'
import { SimScheduler } from '../src/clock/sim-scheduler.js'

describe('EventQueue', () => {
  it('runs events in time order, and events due at the same time in the order they were scheduled', () => {
    const queue = new EventQueue()
    const ran: string[] = []
    queue.at(20, () => ran.push('b@20'))
    queue.at(10, () => ran.push('a@10'))
    queue.at(20, () => ran.push('c@20'))
    queue.at(15, () => ran.push('d@15'))
    queue.at(20, () => ran.push('e@20'))
    queue.runUntil(100)
    assert.deepEqual(ran, ['a@10', 'd@15', 'b@20', 'c@20', 'e@20'])
    assert.equal(queue.processedEvents, 5)
    assert.equal(queue.nowMs, 100, 'the clock moves to the end of the run even with nothing due')
  })

  it('shows each event the time it was due, and runs what events schedule within the same run', () => {
    const queue = new EventQueue()
    const seen: Array<[string, number]> = []
    queue.at(5, () => {
      seen.push(['outer', queue.nowMs])
      queue.after(3, () => seen.push(['inner', queue.nowMs]))
      queue.after(100, () => seen.push(['late', queue.nowMs]))
    })
    queue.runUntil(50)
    assert.deepEqual(seen, [['outer', 5], ['inner', 8]])
    assert.equal(queue.pendingEvents, 1)
    queue.runFor(55)
    assert.deepEqual(seen.at(-1), ['late', 105])
  })

  it('treats a time in the past as now, after what is already due now', () => {
    const queue = new EventQueue()
    const ran: string[] = []
    queue.runUntil(10)
    queue.at(10, () => ran.push('due now'))
    queue.at(3, () => ran.push('in the past'))
    assert.equal(queue.nextTimeMs(), 10)
    queue.runUntil(10)
    assert.deepEqual(ran, ['due now', 'in the past'])
  })

  it('cancels pending events, and ignores stale handles even after their slot is reused', () => {
    const queue = new EventQueue()
    const ran: string[] = []
    const a = queue.at(10, () => ran.push('a'))
    const b = queue.at(20, () => ran.push('b'))
    assert.equal(queue.cancel(a), true)
    assert.equal(queue.cancel(a), false, 'a second cancel is a no-op')
    assert.equal(queue.pendingEvents, 1)
    queue.runUntil(30)
    assert.deepEqual(ran, ['b'])
    assert.equal(queue.cancel(b), false, 'an event that ran cannot be cancelled')
    // Both slots are free again; new events reuse them, and the old handles must not reach them.
    queue.at(40, () => ran.push('c'))
    queue.at(40, () => ran.push('d'))
    assert.equal(queue.cancel(a), false)
    assert.equal(queue.cancel(b), false)
    queue.runUntil(50)
    assert.deepEqual(ran, ['b', 'c', 'd'])
    assert.equal(queue.processedEvents, 3, 'cancelled events are not counted')
  })

  it('step() runs exactly one event and skips cancelled ones', () => {
    const queue = new EventQueue()
    const ran: number[] = []
    const first = queue.at(1, () => ran.push(1))
    queue.at(2, () => ran.push(2))
    queue.cancel(first)
    assert.equal(queue.step(), true)
    assert.deepEqual(ran, [2])
    assert.equal(queue.nowMs, 2)
    assert.equal(queue.step(), false)
  })

  it('passes the numeric argument of the allocation-free form', () => {
    const queue = new EventQueue()
    const got: number[] = []
    const action = (arg: number): void => { got.push(arg) }
    for (let i = 0; i < 5; i++) queue.schedule(10 - i, action, i * 1.5)
    queue.runUntil(10)
    assert.deepEqual(got, [6, 4.5, 3, 1.5, 0])
  })

  it('matches a sorted reference under heavy random scheduling, cancelling and sweeping', () => {
    const rng = new Xoshiro128(7)
    const queue = new EventQueue()
    const expected: Array<{ t: number, seq: number }> = []
    const ran: number[] = []
    const handles: Array<{ handle: number, seq: number }> = []
    let seq = 0
    const cancelled = new Set<number>()
    for (let i = 0; i < 20_000; i++) {
      // Coarse times force many ties, so the tie-break is exercised.
      const t = rng.int(500)
      const mySeq = seq++
      handles.push({ handle: queue.at(t, () => ran.push(mySeq)), seq: mySeq })
      expected.push({ t, seq: mySeq })
    }
    // Cancelling most of them triggers the sweep (compaction) at least once.
    for (const { handle, seq: s } of handles) {
      if (rng.float() < 0.8) {
        assert.equal(queue.cancel(handle), true)
        cancelled.add(s)
      }
    }
    assert.equal(queue.pendingEvents, 20_000 - cancelled.size)
    queue.runUntil(1_000)
    const reference = expected.filter(e => !cancelled.has(e.seq)).sort((x, y) => x.t - y.t || x.seq - y.seq).map(e => e.seq)
    assert.deepEqual(ran, reference)
    assert.equal(queue.pendingEvents, 0)
  })
})

describe('NodeClock', () => {
  it('converts global to local time with offset and drift', () => {
    const queue = new EventQueue()
    const clock = new NodeClock(queue, { offsetMs: 5_000, rate: 1.001 })
    assert.equal(clock.nowMs(), 5_000)
    queue.runUntil(1_000_000)
    // 1000 ppm fast: 1000 s of global time read as 1001 s.
    assert.ok(Math.abs(clock.nowMs() - (5_000 + 1_001_000)) < 1e-6)
    assert.ok(Math.abs(clock.toGlobalMs(5_000 + 1_001_000) - 1_000_000) < 1e-6)
  })

  it('starts counting from its startMs', () => {
    const queue = new EventQueue()
    queue.runUntil(400)
    const clock = new NodeClock(queue, { rate: 0.5 })
    assert.equal(clock.startMs, 400)
    assert.equal(clock.nowMs(), 0)
    assert.equal(clock.toLocalMs(600), 100)
    assert.equal(clock.toGlobalMs(100), 600)
  })

  for (const [rate, offsetMs] of [[1, 0], [1.001, 123.456], [0.999, -7_000], [1.00005, 1e9], [3, 0.1], [0.3, 42]]) {
    it(`never converts a local deadline to a global time that reads earlier (rate ${rate}, offset ${offsetMs} ms)`, () => {
      const queue = new EventQueue()
      const clock = new NodeClock(queue, { rate, offsetMs })
      const rng = new Xoshiro128(rate * 1000 + offsetMs)
      for (let i = 0; i < 5_000; i++) {
        const localMs = offsetMs + rng.float() * 1e7
        const globalMs = clock.toGlobalMs(localMs)
        assert.ok(clock.toLocalMs(globalMs) >= localMs, `local ${localMs} -> global ${globalMs}`)
        assert.ok(Math.abs(clock.toLocalMs(globalMs) - localMs) < 1e-6 * Math.max(1, Math.abs(localMs)))
      }
    })
  }

  it('rejects a rate that is not positive', () => {
    const queue = new EventQueue()
    assert.throws(() => new NodeClock(queue, { rate: 0 }), RangeError)
    assert.throws(() => new NodeClock(queue, { rate: -1 }), RangeError)
    assert.throws(() => new NodeClock(queue, { rate: Number.NaN }), RangeError)
  })
})

function node (options: { rate?: number, offsetMs?: number } = {}): { queue: EventQueue, runtime: NodeRuntime, scheduler: SimScheduler, clock: NodeClock } {
  const queue = new EventQueue()
  const clock = new NodeClock(queue, options)
  const runtime = new NodeRuntime(queue)
  return { queue, runtime, clock, scheduler: new SimScheduler(queue, clock, runtime) }
}

describe('SimScheduler', () => {
  it('fires a timer when the drifting local clock reaches its deadline', () => {
    const { queue, scheduler } = node({ rate: 2, offsetMs: 1_000 })
    const fired: Array<[number, number]> = []
    scheduler.at(3_000, () => fired.push([queue.nowMs, scheduler.nowMs()]))
    queue.runUntil(999)
    assert.deepEqual(fired, [])
    queue.runUntil(2_000)
    assert.deepEqual(fired, [[1_000, 3_000]], 'local 3000 at rate 2 from offset 1000 is global 1000')
  })

  it('never wakes a timer before its local deadline, so a driver cannot spin', () => {
    const { queue, scheduler } = node({ rate: 1.0003, offsetMs: 987.654321 })
    const rng = new Xoshiro128(11)
    let early = 0
    let fired = 0
    for (let i = 0; i < 2_000; i++) {
      const atMs = 987.654321 + rng.float() * 100_000
      scheduler.at(atMs, () => {
        fired++
        if (scheduler.nowMs() < atMs) early++
      })
    }
    queue.runUntil(200_000)
    assert.equal(fired, 2_000)
    assert.equal(early, 0)
  })

  it('cancels a timer, and cancelling after it fired is harmless', () => {
    const { queue, scheduler } = node()
    const fired: string[] = []
    const cancelA = scheduler.at(10, () => fired.push('a'))
    const cancelB = scheduler.at(20, () => fired.push('b'))
    cancelA()
    queue.runUntil(30)
    cancelB()
    cancelB()
    assert.deepEqual(fired, ['b'])
  })

  it('holds timers due during a pause and fires them in order when it ends', () => {
    const { queue, runtime, scheduler } = node()
    const fired: Array<[string, number]> = []
    for (const [name, atMs] of [['c', 30], ['a', 10], ['b', 20], ['after', 200]] as const) {
      scheduler.at(atMs, () => fired.push([name, scheduler.nowMs()]))
    }
    queue.runUntil(5)
    runtime.pause(100)
    queue.runUntil(104)
    assert.deepEqual(fired, [], 'nothing fires while paused')
    assert.equal(runtime.heldCount, 3)
    queue.runUntil(105)
    assert.deepEqual(fired, [['a', 105], ['b', 105], ['c', 105]], 'held timers fire at once, in deadline order, when the pause ends')
    queue.runUntil(300)
    assert.deepEqual(fired.at(-1), ['after', 200], 'a timer due after the pause is unaffected')
  })

  it('extends a pause that is paused again, and a timer cancelled while held never fires', () => {
    const { queue, runtime, scheduler } = node()
    const fired: string[] = []
    const cancel = scheduler.at(10, () => fired.push('cancelled'))
    scheduler.at(20, () => fired.push('kept'))
    runtime.pause(50)
    queue.runUntil(30)
    cancel()
    runtime.pause(100) // now until 130
    queue.runUntil(129)
    assert.deepEqual(fired, [])
    queue.runUntil(130)
    assert.deepEqual(fired, ['kept'])
  })

  it('lets a released timer pause the node again, holding the rest in order', () => {
    const { queue, runtime, scheduler } = node()
    const fired: Array<[string, number]> = []
    scheduler.at(10, () => { fired.push(['a', queue.nowMs]); runtime.pause(30) })
    scheduler.at(11, () => fired.push(['b', queue.nowMs]))
    scheduler.at(12, () => fired.push(['c', queue.nowMs]))
    runtime.pause(20)
    queue.runUntil(100)
    assert.deepEqual(fired, [['a', 20], ['b', 50], ['c', 50]])
  })

  it('drops every timer of a crashed incarnation, pending or held, and serves the next one', () => {
    const { queue, runtime, scheduler } = node()
    const fired: string[] = []
    scheduler.at(10, () => fired.push('held'))
    scheduler.at(50, () => fired.push('pending'))
    runtime.pause(20)
    queue.runUntil(15)
    runtime.kill()
    assert.equal(runtime.heldCount, 0)
    const noop = scheduler.at(30, () => fired.push('armed while dead'))
    noop()
    queue.runUntil(40)
    runtime.revive()
    scheduler.at(60, () => fired.push('next incarnation'))
    queue.runUntil(100)
    assert.deepEqual(fired, ['next incarnation'])
  })
})
