import assert from 'node:assert/strict'
import { assertUsageError, cli } from './support/cli-run.js'

/** A run small enough to take a fraction of a second. */
const TINY = ['--nodes', '8', '--duration', '15s', '--liveness', '5s']

describe('dreammesh-sim CLI', () => {
  it('lists the commands with --help', async () => {
    const r = await cli('--help')
    assert.equal(r.code, 0)
    assert.match(r.stdout, /membership/)
  })

  it('lists every flag and the examples with membership --help', async () => {
    const r = await cli('membership', '--help')
    assert.equal(r.code, 0)
    for (const flag of ['--nodes', '--seed', '--preset', '--loss', '--delay-ms', '--transport', '--crash', '--pause-every-s',
      '--pause-ms', '--partition', '--duration', '--liveness', '--variant', '--json']) {
      assert.ok(r.stdout.includes(flag), `help should list ${flag}`)
    }
    assert.match(r.stdout, /Examples:\n\s+dreammesh-sim membership --nodes/)
  })

  it('rejects an unknown flag', async () => {
    assertUsageError(await cli('membership', '--nodes', '5', '--bogus', '1'), '--bogus')
  })

  it('requires --nodes', async () => {
    assertUsageError(await cli('membership', '--seed', '3'), '--nodes')
  })

  it('rejects a loss outside 0..1', async () => {
    assertUsageError(await cli('membership', '--nodes', '5', '--loss', '2'), '--loss')
  })

  it('rejects a malformed duration', async () => {
    assertUsageError(await cli('membership', '--nodes', '5', '--duration', 'xyz'), '--duration')
  })

  it('rejects an unknown transport', async () => {
    assertUsageError(await cli('membership', '--nodes', '5', '--transport', 'foo'), '--transport')
  })

  it('rejects an unknown command', async () => {
    const r = await cli('nonsense')
    assert.equal(r.code, 2)
    assert.match(r.stderr, /unknown command "nonsense"/)
  })

  it('prints one JSON object with --json', async () => {
    const r = await cli('membership', ...TINY, '--seed', '4', '--crash', '1', '--json')
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    assert.equal(lines.length, 1, 'one line of JSON')
    const result = JSON.parse(lines[0]) as Record<string, unknown>
    for (const key of ['nodes', 'seed', 'virtualSeconds', 'wallSeconds', 'detection', 'joinAllMs', 'falsePositives', 'msgsPerNodePerSec',
      'bytesPerNodePerSec', 'converged', 'violations']) {
      assert.ok(key in result, `missing ${key}`)
    }
    const detection = result.detection as { firstMs: { p50: unknown, p99: unknown }, allMs: unknown }
    assert.equal(typeof detection.firstMs.p50, 'number')
    assert.equal(typeof detection.firstMs.p99, 'number')
    assert.equal(typeof detection.allMs, 'object')
    assert.equal(result.nodes, 8)
    assert.equal(result.seed, 4)
    assert.equal(result.converged, true)
    assert.deepEqual(result.violations, [])
  })

  it('prints a table without --json', async () => {
    const r = await cli('membership', ...TINY)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /violations\s+0/)
    assert.match(r.stdout, /replay: npx dreammesh-sim membership --nodes 8 --seed 1 /)
  })

  it('exits 1 with a reproduce line for a broken variant', async () => {
    const r = await cli('membership', '--nodes', '10', '--seed', '2', '--loss', '0.05', '--pause-every-s', '10', '--pause-ms', '300',
      '--pause-share', '0.2', '--duration', '30s', '--liveness', '10s', '--variant', 'no-refutation')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /invariant violation\(s\)\. Reproduce with --seed=2:/)
    assert.match(r.stderr, /--seed 2 .*--variant no-refutation/)
  })
})
