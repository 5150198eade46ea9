import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pollUntil } from './support/poll.js'
import { probeCgroups, type CgroupCapabilities } from '../src/workloads/cgroups.js'
import { InstanceStartError } from '../src/workloads/instance.js'
import { probeBubblewrap, type Bubblewrap } from '../src/workloads/sandbox.js'
import { createWorkloadSupervisor, type WorkloadSupervisor } from '../src/workloads/supervisor.js'

describe('workloads: isolated instances under bubblewrap', function () {
  this.timeout(30_000)
  let caps: CgroupCapabilities
  let bwrap: Bubblewrap
  let dataDir: string
  const supervisors: WorkloadSupervisor[] = []

  before(async () => {
    caps = await probeCgroups()
    bwrap = await probeBubblewrap()
    dataDir = mkdtempSync(join(tmpdir(), 'dm-iso-'))
  })

  after(async () => {
    for (const s of supervisors) await s.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('says clearly that bubblewrap is missing, and refuses to start an isolated instance without it', async () => {
    const s = await createWorkloadSupervisor({ agentId: `iso-${process.pid}-a`, dataDir, cgroups: caps, bubblewrap: { missing: 'bubblewrap is not installed (Debian: apt-get install bubblewrap); isolated instances cannot start' } })
    supervisors.push(s)
    await assert.rejects(s.start({ workload: 'iso', index: 0, epoch: 1, command: 'true', isolated: true }),
      (err: unknown) => err instanceof InstanceStartError && /bubblewrap is not installed/.test(err.message))
    assert.equal(s.status('iso', 0)?.state, 'failed')
    assert.match(s.status('iso', 0)?.reason ?? '', /apt-get install bubblewrap/)
  })

  it('runs with a read-only root, a private /tmp, its own pid namespace and the state dir at mountStateAt', async function () {
    if (bwrap.path === undefined) { this.skip() } // bwrap.missing says why (not installed, or no namespaces here)
    const s = await createWorkloadSupervisor({ agentId: `iso-${process.pid}-b`, dataDir, cgroups: caps, bubblewrap: bwrap })
    supervisors.push(s)
    const marker = `dm-iso-${process.pid}`
    const script = [
      'out=$DREAMMESH_STATE_DIR/out',
      'echo "pid $$" > $out',
      `touch /usr/${marker} 2>/dev/null && echo "root rw" >> $out || echo "root ro" >> $out`,
      `touch /tmp/${marker} && echo "tmp $(ls /tmp | wc -l)" >> $out`,
      'echo "state $DREAMMESH_STATE_DIR" >> $out',
      'echo "cwd $(pwd)" >> $out'
    ].join('; ')
    await s.start({ workload: 'iso', index: 0, epoch: 1, command: 'sh', args: ['-c', script], isolated: true, mountStateAt: '/state', restart: { mode: 'never' } })
    await pollUntil(() => JSON.stringify(s.status('iso', 0)), async () => s.status('iso', 0)?.state === 'exited')
    const out = readFileSync(join(dataDir, 'state', 'iso', 'out'), 'utf8').trim().split('\n')
    assert.deepEqual(out, ['pid 2', 'root ro', 'tmp 1', 'state /state', 'cwd /state'])
    assert.equal(existsSync(`/tmp/${marker}`), false, 'its /tmp was private')
    assert.equal(existsSync(`/usr/${marker}`), false)
  })
})
