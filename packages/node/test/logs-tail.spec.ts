import assert from 'node:assert/strict'
import { linkSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkRequest, cutLine, lastLines, PendingLines, readTail } from '../src/logs/index.js'
import { RotatingLog } from '../src/workloads/logs.js'

/**
 * The bounded parts of a logs read, without a network: the tail read from the end of the rotated files within
 * a byte bound, the line cut, the follower queue that skips instead of growing, and the request check.
 */
describe('logs: bounded tail, line cut, follower queue, request check', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dm-logs-tail-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('cuts a long line into pieces, never between the halves of a surrogate pair', () => {
    assert.deepEqual(cutLine('abcdefg', 3), ['abc', 'def', 'g'])
    assert.deepEqual(cutLine('short', 10), ['short'])
    const face = '\u{1F600}' // two UTF-16 code units
    const pieces = cutLine(`ab${face}cd`, 3)
    assert.deepEqual(pieces, ['ab', `${face}c`, 'd'])
    assert.equal(pieces.join(''), `ab${face}cd`)
  })

  it('reads the last lines across the rotation, the previous file first', () => {
    const path = join(dir, 'w-0.stdout.log')
    const log = new RotatingLog({ path, maxBytes: 64 })
    for (let i = 0; i < 40; i++) log.write(Buffer.from(`n${i}\n`))
    log.close()
    assert.deepEqual(readTail(path, 3, 1024, 100), ['n37', 'n38', 'n39'])
    const all = readTail(path, 1000, 1024, 100)
    assert.equal(all.at(-1), 'n39')
    assert.ok(all.length > 16, `both files read: ${all.length} lines`)
    assert.deepEqual(all, all.slice().sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))), 'in order')
    assert.deepEqual(readTail(join(dir, 'missing.log'), 5, 1024, 100), [])
  })

  it('reads at most maxBytes from the end; a line the bound cuts into is left out', () => {
    const path = join(dir, 'big.log')
    writeFileSync(path, Array.from({ length: 1000 }, (_, i) => `line-${String(i).padStart(4, '0')}`).join('\n') + '\n')
    // Each line is 10 bytes; 35 bytes reach into the 4th line from the end: only 3 whole lines come.
    assert.deepEqual(readTail(path, 100, 35, 100), ['line-0997', 'line-0998', 'line-0999'])
    assert.deepEqual(readTail(path, 2, 35, 100), ['line-0998', 'line-0999'])
  })

  it('an endless line (no newline in reach) shows its end, cut, from a character boundary', () => {
    const path = join(dir, 'endless.log')
    writeFileSync(path, 'é'.repeat(5000)) // 2 bytes each, no newline at all
    const lines = readTail(path, 100, 1001, 200)
    assert.ok(lines.every(l => l.length <= 200))
    assert.equal(lines.join(''), 'é'.repeat(500), 'whole characters only: the odd byte at the cut is skipped')
  })

  it('when `.1` is the current file itself (it rotated between the opens), it is read once', () => {
    const path = join(dir, 'r.log')
    writeFileSync(path, 'a\nb\n')
    linkSync(path, `${path}.1`)
    assert.deepEqual(readTail(path, 10, 1024, 100), ['a', 'b'])
  })

  it('lastLines keeps the last lines and pieces within maxLines', () => {
    assert.deepEqual(lastLines(Buffer.from('x\nabcdef\n'), false, 2, 3), ['abc', 'def'])
    assert.deepEqual(lastLines(Buffer.from('x\nabcdef\n'), false, 3, 3), ['x', 'abc', 'def'])
  })

  it('the follower queue skips past its bounds and marks the gap in order; it never holds more', () => {
    const q = new PendingLines(3, 1000)
    for (let i = 0; i < 10; i++) q.push({ stream: 'stdout', line: `l${i}` })
    q.push({ stream: 'stdout', line: 'later' })
    assert.deepEqual(q.shift(), { stream: 'stdout', line: 'l0' })
    q.push({ stream: 'stderr', line: 'after the gap' })
    const rest = [q.shift(), q.shift(), q.shift(), q.shift(), q.shift()]
    assert.deepEqual(rest, [
      { stream: 'stdout', line: 'l1' }, { stream: 'stdout', line: 'l2' }, { skipped: 8 },
      { stream: 'stderr', line: 'after the gap' }, undefined
    ])
    const bytes = new PendingLines(100, 10)
    bytes.push({ stream: 'stdout', line: '12345' })
    bytes.push({ stream: 'stdout', line: '123456' })
    bytes.push({ stream: 'stdout', line: '1234' })
    assert.deepEqual([bytes.shift(), bytes.shift(), bytes.shift()], [{ stream: 'stdout', line: '12345' }, { skipped: 1 }, { stream: 'stdout', line: '1234' }])
  })

  it('checks requests: defaults filled, every bad field refused', () => {
    assert.deepEqual(checkRequest({ v: 1, workload: 'web', index: 0 }), { workload: 'web', index: 0, streams: ['stdout', 'stderr'], tail: 100, follow: false })
    assert.deepEqual(checkRequest({ workload: 'web', index: 2, streams: ['stderr', 'stderr'], tail: 0, follow: true }).streams, ['stderr'])
    const bad: unknown[] = [
      null, [], 'web', { workload: 'web' }, { workload: '../etc', index: 0 }, { workload: 'Web', index: 0 },
      { workload: 'web', index: -1 }, { workload: 'web', index: 1.5 }, { workload: 'web', index: 0, v: 2 },
      { workload: 'web', index: 0, streams: [] }, { workload: 'web', index: 0, streams: ['stdin'] },
      { workload: 'web', index: 0, tail: 10_001 }, { workload: 'web', index: 0, follow: 'yes' }
    ]
    for (const value of bad) assert.throws(() => checkRequest(value), /a logs request/, JSON.stringify(value))
  })
})
