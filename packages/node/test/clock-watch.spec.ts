import assert from 'node:assert/strict'
import { CLOCK_CHECK_INTERVAL_MS, CLOCK_JUMP_THRESHOLD_MS, ClockWatch } from '../src/leases/clock-watch.js'

/** The suspend and clock-jump detector that leases rely on, fed clocks by hand. */
describe('ClockWatch', () => {
  function watch (): { w: ClockWatch, jumps: number[] } {
    const jumps: number[] = []
    const w = new ClockWatch((by) => { jumps.push(by) })
    w.check(1_000_000, 0)
    return { w, jumps }
  }

  it('says nothing while both clocks advance together (within the threshold)', () => {
    const { w, jumps } = watch()
    for (let i = 1; i <= 10; i++) w.check(1_000_000 + i * CLOCK_CHECK_INTERVAL_MS + 3, i * CLOCK_CHECK_INTERVAL_MS)
    assert.deepEqual(jumps, [])
  })

  it('a suspend (the wall clock ran on, the monotonic one did not) is a jump', () => {
    const { w, jumps } = watch()
    w.check(1_000_000 + CLOCK_CHECK_INTERVAL_MS + 60_000, CLOCK_CHECK_INTERVAL_MS)
    assert.equal(jumps.length, 1)
    assert.ok(jumps[0] >= 60_000)
  })

  it('a wall clock stepped back is a jump too', () => {
    const { w, jumps } = watch()
    w.check(1_000_000 + CLOCK_CHECK_INTERVAL_MS - CLOCK_JUMP_THRESHOLD_MS - 50, CLOCK_CHECK_INTERVAL_MS)
    assert.equal(jumps.length, 1)
  })

  it('a process stopped for a long while (a check far too late on both clocks) is a jump', () => {
    const { w, jumps } = watch()
    const late = 3 * CLOCK_CHECK_INTERVAL_MS + 2 * CLOCK_JUMP_THRESHOLD_MS
    w.check(1_000_000 + late, late)
    assert.equal(jumps.length, 1)
  })
})
