import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { assertUsageError, cli } from './support/cli-run.js'

describe('dreammesh-sim placement (the soak\'s CLI)', function () {
  this.timeout(60_000)

  it('is listed, and its --help names every flag and the examples', async () => {
    assert.match((await cli('--help')).stdout, /placement\s+the placement soak/)
    const r = await cli('placement', '--help')
    assert.equal(r.code, 0)
    for (const f of ['--seeds', '--seed-base', '--variant', '--shape', '--workers', '--safety', '--liveness', '--trace', '--json']) assert.ok(r.stdout.includes(f), f)
    assert.match(r.stdout, /Examples:\n\s+dreammesh-sim placement --seeds 10000/)
  })

  it('refuses bad flags with a message naming them', async () => {
    assertUsageError(await cli('placement', '--seeds', '0'), '--seeds')
    assertUsageError(await cli('placement', '--variant', 'nope'), '--variant')
    assertUsageError(await cli('placement', '--safety', '30s'), '--safety')
    assertUsageError(await cli('placement', '--seeds', '2', '--trace'), '--trace')
  })

  it('`npm run soak:placement` is the same CLI: --help works and a bad flag exits 2 without a stack trace', () => {
    const entry = fileURLToPath(new URL('../src/soak/placement.js', import.meta.url))
    const help = spawnSync(process.execPath, [entry, '--help'], { encoding: 'utf8' })
    assert.equal(help.status, 0, help.stderr)
    assert.match(help.stdout, /Usage: dreammesh-sim placement/)
    const bad = spawnSync(process.execPath, [entry, '--nope'], { encoding: 'utf8' })
    assertUsageError({ code: bad.status ?? -1, stdout: bad.stdout, stderr: bad.stderr }, '--nope')
  })

  it('replays one seed with its timeline, its summary and exit code 0', async () => {
    const r = await cli('placement', '--seeds', '1', '--seed-base', '3', '--trace')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /server-\d boots/)
    assert.match(r.stdout, /acquired w\/svc-\d+\/0 epoch \d+/)
    assert.match(r.stdout, /faults stop: liveness phase/)
    assert.match(r.stdout, /violations\s+0 violations/)
  })

  it('a broken variant exits 1 and prints the replay command of each failing seed', async () => {
    const r = await cli('placement', '--seeds', '2', '--variant', 'start-on-dead', '--workers', '0')
    assert.equal(r.code, 1)
    assert.match(r.stdout, /VIOLATIONS/)
    assert.match(r.stdout, /replay: npm run soak:placement -- --seeds 1 --seed-base \d+ --variant start-on-dead/)
  })
})
