import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync, existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RotatingLog, readLogTail } from '../src/workloads/logs.js'

describe('workloads: rotating logs', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dm-logs-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('never holds more than 2 × maxBytes on disk, and keeps the newest bytes', () => {
    const path = join(dir, 'w-0.stdout.log')
    const log = new RotatingLog({ path, maxBytes: 1_000 })
    let written = ''
    for (let i = 0; i < 500; i++) {
      const line = `line ${i} ${'x'.repeat(i % 37)}\n`
      written += line
      log.write(Buffer.from(line))
      assert.ok(statSync(path).size <= 1_000, `current file ${statSync(path).size} bytes`)
    }
    // One chunk larger than the bound is split across files, not written past it.
    const big = 'B'.repeat(2_500)
    log.write(Buffer.from(big))
    written += big
    log.close()
    assert.ok(statSync(path).size <= 1_000)
    assert.ok(statSync(`${path}.1`).size <= 1_000)
    assert.ok(!existsSync(`${path}.2`), 'only one previous file is kept')
    const kept = readFileSync(`${path}.1`, 'utf8') + readFileSync(path, 'utf8')
    assert.ok(written.endsWith(kept), 'the two files hold the newest bytes, in order')
    assert.ok(kept.length > 1_000 && kept.length <= 2_000, `${kept.length} bytes kept`)
  })

  it('tail reads across the rotation, and works from disk after the writer is gone', () => {
    const path = join(dir, 'a.log')
    const log = new RotatingLog({ path, maxBytes: 64 })
    for (let i = 0; i < 20; i++) log.write(Buffer.from(`n${i}\n`))
    assert.deepEqual(log.tail(3), ['n17', 'n18', 'n19'])
    log.close()
    const lines = readLogTail(path, 1_000)
    assert.equal(lines.at(-1), 'n19')
    assert.ok(lines.length > 16, `both files read: ${lines.length} lines`)
    assert.deepEqual(readLogTail(join(dir, 'missing.log'), 5), [])
  })

  it('follow delivers whole lines, across chunk boundaries and multi-byte characters, and cuts endless lines', () => {
    const log = new RotatingLog({ path: join(dir, 'f.log'), maxBytes: 10_000, maxLineBytes: 8 })
    const seen: string[] = []
    const stop = log.follow(line => seen.push(line))
    const euro = Buffer.from('€')
    log.write(Buffer.concat([Buffer.from('he'), euro.subarray(0, 1)]))
    log.write(Buffer.concat([euro.subarray(1), Buffer.from('llo\nwor')]))
    log.write(Buffer.from('ld\n0123456789abcdefXY'))
    assert.deepEqual(seen, ['he€llo', 'world', '01234567', '89abcdef'])
    stop()
    log.write(Buffer.from('\nafter\n'))
    assert.equal(seen.length, 4, 'no lines after unfollow')
    log.close()
    log.write(Buffer.from('late output after teardown is dropped, not thrown\n'))
  })
})
