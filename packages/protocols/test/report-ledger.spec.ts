import assert from 'node:assert/strict'
import { MAX_WAITING_REPORTS, ReportLedger } from '../src/placement/report-ledger.js'

interface R { incarnation: number, seq: number, tag: string }
const alive = (incarnation: number): { incarnation: number, state: 'alive' } => ({ incarnation, state: 'alive' })

/** The instance-report rules both boards (real node and simulator) keep through ReportLedger. */
describe('ReportLedger: which member report is kept', () => {
  it('newer by incarnation, then by seq (wrapping at 2^32); an earlier life or an older seq is stale', () => {
    const l = new ReportLedger<R>()
    assert.equal(l.judge('a', { incarnation: 1, seq: 5, tag: 'x' }, alive(1)), 'newer')
    assert.equal(l.take('a', { incarnation: 1, seq: 5, tag: 'x' }), true)
    assert.equal(l.judge('a', { incarnation: 1, seq: 4, tag: 'old' }, alive(1)), 'stale')
    assert.equal(l.judge('a', { incarnation: 0, seq: 9, tag: 'earlier life' }, alive(1)), 'stale')
    assert.equal(l.take('a', { incarnation: 1, seq: 0xffff_fff0, tag: 'y' }), false, '5 is after 0xfffffff0 in serial order')
    assert.equal(l.take('a', { incarnation: 2, seq: 0, tag: 'next life' }), true)
    assert.equal(l.get('a')?.tag, 'next life')
  })

  it('a report from a member not live yet waits, the newest one, and is taken when it is live', () => {
    const l = new ReportLedger<R>()
    assert.equal(l.judge('b', { incarnation: 3, seq: 1, tag: 'first' }, undefined), 'waiting')
    assert.equal(l.judge('b', { incarnation: 3, seq: 2, tag: 'second' }, { incarnation: 2, state: 'dead' }), 'waiting')
    assert.equal(l.get('b'), undefined)
    assert.equal(l.memberBack('b', 3), true)
    assert.equal(l.get('b')?.tag, 'second')
    // Back again at a higher incarnation: the earlier life's report is forgotten; a stale waiting one is not taken.
    l.judge('b', { incarnation: 3, seq: 9, tag: 'too old' }, undefined)
    assert.equal(l.memberBack('b', 4), true)
    assert.equal(l.get('b'), undefined)
  })

  it('keeps at most MAX_WAITING_REPORTS senders waiting', () => {
    const l = new ReportLedger<R>()
    for (let i = 0; i <= MAX_WAITING_REPORTS; i++) l.judge(`n${i}`, { incarnation: 0, seq: 1, tag: '' }, undefined)
    assert.equal(l.memberBack(`n${MAX_WAITING_REPORTS}`, 0), false, 'the one past the bound was not kept')
    assert.equal(l.memberBack('n0', 0), true)
  })
})
