import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pollUntil } from './support/poll.js'
import { probeCgroups, type CgroupCapabilities, type LimitController } from '../src/workloads/cgroups.js'
import type { InstanceStatus, WorkloadEvent } from '../src/workloads/events.js'
import { createWorkloadSupervisor, type SupervisorInit, type WorkloadSupervisor } from '../src/workloads/supervisor.js'
import type { InstanceSpec } from '../src/workloads/spec.js'

/** Budget for anything that involves a process starting or dying; a bound, not an expected speed. */
const PROCESS_BUDGET_MS = 10_000

/** Alive means: exists and is not a zombie (a container's pid 1 may be slow to reap what we killed). */
function alive (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch { return false }
}

describe('workloads: supervisor with real processes and cgroups', function () {
  this.timeout(60_000)
  let caps: CgroupCapabilities
  const supervisors: WorkloadSupervisor[] = []
  const dirs: string[] = []
  let serial = 0

  before(async function () {
    caps = await probeCgroups()
    if (caps.kill === 'process-group') this.skip() // no writable cgroup here (not root?): see caps.notes
  })

  after(async () => {
    await Promise.all(supervisors.map(async s => { await s.close() }))
    for (const s of supervisors) await s.reapLeftovers()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  async function supervise (over: Partial<SupervisorInit> = {}): Promise<{ s: WorkloadSupervisor, events: WorkloadEvent[], agentId: string, dataDir: string }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'dm-sup-'))
    dirs.push(dataDir)
    const events: WorkloadEvent[] = []
    const agentId = `test-${process.pid}-${serial++}`
    const s = await createWorkloadSupervisor({ agentId, dataDir, cgroups: caps, bubblewrap: { missing: 'not used here' }, stopGraceMs: 2_000, onEvent: e => events.push(e), ...over })
    supervisors.push(s)
    return { s, events, agentId, dataDir }
  }

  const spec = (over: Partial<InstanceSpec>): InstanceSpec => ({ workload: 'w', index: 0, epoch: 1, command: 'sleep', args: ['1000'], ...over })
  const statuses = (events: WorkloadEvent[]): InstanceStatus[] => events.flatMap(e => e.type === 'status' ? [e.status] : [])
  const until = async (s: WorkloadSupervisor, what: string, ok: (st: InstanceStatus) => boolean, workload = 'w'): Promise<InstanceStatus> => {
    await pollUntil(() => `${what}; status ${JSON.stringify(s.status(workload, 0))}`, async () => { const st = s.status(workload, 0); return st !== undefined && ok(st) }, PROCESS_BUDGET_MS)
    return s.status(workload, 0) as InstanceStatus
  }
  function cgroupDir (agentId: string, name: string, controller: LimitController | 'v2'): string | undefined {
    if (controller === 'v2') return caps.v2 !== undefined ? join(caps.v2.base, agentId, name) : undefined
    const where = caps.limits[controller]
    if (where === 'v2') return join((caps.v2 as { base: string }).base, agentId, name)
    return where === 'v1' ? join(caps.v1[controller] as string, agentId, name) : undefined
  }

  it('starts a process inside its cgroup, and stop leaves the cgroup empty and removed', async () => {
    const { s, agentId } = await supervise()
    const started = await s.start(spec({}))
    assert.ok(['starting', 'running'].includes(started.state))
    const running = await until(s, 'running', st => st.state === 'running')
    assert.ok(running.pid !== undefined)
    // 'running' is set at spawn; the entry wrapper writes itself into cgroup.procs a moment later (a loaded
    // machine can make that moment long), then execs the command.
    let pids = await s.pids('w', 0)
    for (let i = 0; i < 100 && pids.length === 0; i++) {
      await new Promise(resolve => setTimeout(resolve, 50))
      pids = await s.pids('w', 0)
    }
    assert.deepEqual(pids, [running.pid], 'the main process itself is in the cgroup (it joined before exec)')
    // The process runs `sleep`, not the wrapper: the wrapper exec'd into it.
    assert.match(readFileSync(`/proc/${running.pid}/cmdline`, 'utf8'), /^sleep\x001000/)
    await s.stop('w', 0)
    const stopped = s.status('w', 0) as InstanceStatus
    assert.equal(stopped.state, 'stopped')
    assert.equal(stopped.lastExit?.signal, 'SIGTERM')
    assert.equal(alive(running.pid as number), false)
    for (const dir of [cgroupDir(agentId, 'w-0', 'v2'), ...Object.values(caps.v1).map(b => join(b, agentId, 'w-0'))]) {
      if (dir !== undefined) assert.equal(existsSync(dir), false, `${dir} removed`)
    }
  })

  it('a stop right after the start still sends SIGTERM to the process, before it has joined its cgroup', async function () {
    const { s } = await supervise({ stopGraceMs: 20_000 })
    this.timeout(15_000) // a bound: if SIGTERM were lost, only the SIGKILL after 20 s would end it
    for (let i = 0; i < 5; i++) {
      await s.start(spec({ index: i }))
      await s.stop('w', i)
      assert.equal(s.status('w', i)?.lastExit?.signal, 'SIGTERM')
    }
  })

  it('SIGKILLs, after the grace period, a process that ignores SIGTERM (and its children)', async () => {
    const { s } = await supervise({ stopGraceMs: 300 })
    // Ignored signals stay ignored across fork and exec: the sleeps ignore SIGTERM too.
    await s.start(spec({ command: 'sh', args: ['-c', "trap '' TERM; sleep 1000 & while :; do sleep 1; done"] }))
    await until(s, 'running', st => st.state === 'running')
    await pollUntil('the child sleep forked', async () => (await s.pids('w', 0)).length >= 3)
    const pids = await s.pids('w', 0)
    await s.stop('w', 0)
    assert.equal(s.status('w', 0)?.lastExit?.signal, 'SIGKILL')
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} dead`)
  })

  it('restart never: an exit code fails the instance, once', async () => {
    const { s, events } = await supervise()
    await s.start(spec({ command: 'sh', args: ['-c', 'exit 3'], restart: { mode: 'never' } }))
    const failed = await until(s, 'failed', st => st.state === 'failed')
    assert.deepEqual(failed.lastExit, { code: 3, signal: null })
    assert.equal(failed.restarts, 0)
    assert.equal(events.filter(e => e.type === 'exit').length, 1)
  })

  it('restart on-failure: exit 0 is done; exit 1 restarts with exponential backoff until maxRestarts', async () => {
    const { s, events } = await supervise()
    await s.start(spec({ command: 'true', restart: { mode: 'on-failure' } }))
    const done = await until(s, 'exited', st => st.state === 'exited')
    assert.equal(done.restarts, 0)

    await s.start(spec({ index: 0, workload: 'crash', command: 'sh', args: ['-c', 'exit 1'], restart: { mode: 'on-failure', initialDelayMs: 30, multiplier: 2, maxRestarts: 3 } }))
    const failed = await until(s, 'failed', st => st.state === 'failed', 'crash')
    assert.equal(failed.restarts, 3)
    assert.match(failed.reason ?? '', /exit code 1; 3 restarts in a row/)
    const waits = statuses(events).filter(st => st.workload === 'crash' && st.state === 'backoff').map(st => Math.round((st.nextStartAtMs as number) - st.sinceMs))
    assert.deepEqual(waits, [30, 60, 120])
    assert.equal(events.filter(e => e.type === 'exit' && e.workload === 'crash').length, 4)
  })

  it('a run is over when its main process is: what it forked dies before the next run starts', async () => {
    const { s, dataDir } = await supervise()
    await s.start(spec({ command: 'sh', args: ['-c', 'sleep 1000 & echo $! >> "$DREAMMESH_STATE_DIR/children"; exit 1'], restart: { mode: 'on-failure', initialDelayMs: 10, maxRestarts: 1 } }))
    await until(s, 'failed', st => st.state === 'failed')
    const children = readFileSync(join(dataDir, 'state', 'w', 'children'), 'utf8').trim().split('\n').map(Number)
    assert.equal(children.length, 2, 'two runs')
    for (const pid of children) assert.equal(alive(pid), false, `child ${pid} of a finished run is dead`)
  })

  it('restart always: even a clean exit restarts, within maxRestarts', async () => {
    const { s, events } = await supervise()
    await s.start(spec({ command: 'true', restart: { mode: 'always', initialDelayMs: 10, maxRestarts: 2 } }))
    const failed = await until(s, 'failed after max restarts', st => st.state === 'failed')
    assert.equal(failed.restarts, 2)
    assert.equal(events.filter(e => e.type === 'exit').length, 3)
  })

  it('a run that lasted stableAfterMs resets the backoff and the restart count', async () => {
    const { s, events } = await supervise()
    await s.start(spec({ command: 'sh', args: ['-c', 'sleep 0.3; exit 1'], restart: { mode: 'on-failure', initialDelayMs: 20, multiplier: 10, maxRestarts: 1, stableAfterMs: 200 } }))
    await pollUntil('three runs', async () => events.filter(e => e.type === 'exit').length >= 3, PROCESS_BUDGET_MS)
    await s.stop('w', 0)
    const waits = statuses(events).filter(st => st.state === 'backoff').map(st => Math.round((st.nextStartAtMs as number) - st.sinceMs))
    assert.ok(waits.length >= 2)
    assert.ok(waits.every(w => w === 20), `every wait is the initial one: ${waits.join(', ')}`)
  })

  it('health: a failing tcp check makes the instance unhealthy, and it is restarted', async () => {
    const port = await freePort()
    const { s, events } = await supervise({ stopGraceMs: 200 })
    await s.start(spec({ health: { kind: 'tcp', port, intervalMs: 40, timeoutMs: 500, failures: 2 }, restart: { mode: 'on-failure', initialDelayMs: 20 } }))
    await until(s, 'restarted after being unhealthy', st => st.restarts >= 1)
    const seen = statuses(events).map(st => st.state)
    const unhealthyAt = seen.indexOf('unhealthy')
    assert.ok(unhealthyAt > 0, `went unhealthy: ${seen.join(' ')}`)
    assert.equal(seen[unhealthyAt - 1], 'starting', 'never running: it never passed a check')
    const backoff = statuses(events).find(st => st.state === 'backoff')
    assert.match(backoff?.reason ?? '', /^unhealthy/)
    assert.ok(events.some(e => e.type === 'health' && !e.ok && e.consecutiveFailures === 2))
  })

  it('health: an http check that answers 200 makes it running; restart never leaves an unhealthy one running', async () => {
    const port = await freePort()
    const { s, dataDir } = await supervise()
    const server = `require('http').createServer((q, r) => { r.statusCode = require('fs').existsSync(process.env.DREAMMESH_STATE_DIR + '/sick') ? 500 : 200; r.end() }).listen(${port}, '127.0.0.1')`
    await s.start(spec({ command: process.execPath, args: ['-e', server], health: { kind: 'http', url: `http://127.0.0.1:${port}/`, intervalMs: 50, failures: 2 }, restart: { mode: 'never' } }))
    const running = await until(s, 'running by http', st => st.state === 'running')
    // The server answers 500 once this file exists in its state dir.
    writeFileSync(join(dataDir, 'state', 'w', 'sick'), '')
    const sick = await until(s, 'unhealthy', st => st.state === 'unhealthy')
    assert.equal(sick.pid, running.pid, 'restart never: the unhealthy process is left running')
    assert.match(sick.reason ?? '', /http 500/)
    assert.ok(alive(running.pid as number))
  })

  it('health: a command check that exits 0 makes it running', async () => {
    const { s, events } = await supervise()
    await s.start(spec({ workload: 'cmd', health: { kind: 'command', command: 'sh', args: ['-c', 'test "$DREAMMESH_WORKLOAD" = cmd'], intervalMs: 30 } }))
    await until(s, 'running by command', st => st.state === 'running', 'cmd')
    assert.ok(events.some(e => e.type === 'health' && e.ok))
  })

  it('gives the instance DREAMMESH_* variables, a 0700 state dir, and none of the agent\'s environment', async () => {
    process.env.DM_AGENT_SECRET = 'do-not-leak'
    const { s, dataDir } = await supervise()
    await s.start(spec({ workload: 'envy', index: 2, epoch: 42, command: 'sh', args: ['-c', 'env > "$DREAMMESH_STATE_DIR/env.txt"'], env: { EXTRA: 'yes' }, restart: { mode: 'never' } }))
    await pollUntil('exited', async () => s.status('envy', 2)?.state === 'exited', PROCESS_BUDGET_MS)
    delete process.env.DM_AGENT_SECRET
    const stateDir = join(dataDir, 'state', 'envy')
    const env = Object.fromEntries(readFileSync(join(stateDir, 'env.txt'), 'utf8').trim().split('\n').map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    assert.equal(env.DREAMMESH_WORKLOAD, 'envy')
    assert.equal(env.DREAMMESH_INSTANCE, '2')
    assert.equal(env.DREAMMESH_EPOCH, '42')
    assert.equal(env.DREAMMESH_STATE_DIR, stateDir)
    assert.equal(env.EXTRA, 'yes')
    assert.equal(env.DM_AGENT_SECRET, undefined)
    assert.equal(statSync(stateDir).mode & 0o777, 0o700)
    await assert.rejects(s.start(spec({ env: { DREAMMESH_EPOCH: '1' } })), /DREAMMESH_\* variables are set by the supervisor/)
  })

  it('writes the CPU, memory and pids limits into the instance\'s cgroups', async function () {
    const { s, agentId } = await supervise()
    await s.start(spec({ cpuMillis: 250, memoryBytes: 64 * 1024 * 1024, pidsMax: 32 }))
    await until(s, 'running', st => st.state === 'running')
    const read = (c: LimitController, v1: string, v2: string): string | undefined => {
      const dir = cgroupDir(agentId, 'w-0', c)
      return dir === undefined ? undefined : readFileSync(join(dir, caps.limits[c] === 'v2' ? v2 : v1), 'utf8').trim()
    }
    const missing = (['cpu', 'memory', 'pids'] as const).filter(c => caps.limits[c] === undefined)
    assert.deepEqual(s.status('w', 0)?.unenforcedLimits.length, missing.length)
    if (caps.limits.memory !== undefined) assert.equal(read('memory', 'memory.limit_in_bytes', 'memory.max'), String(64 * 1024 * 1024))
    if (caps.limits.pids !== undefined) assert.equal(read('pids', 'pids.max', 'pids.max'), '32')
    if (caps.limits.cpu === 'v1') {
      assert.equal(read('cpu', 'cpu.cfs_quota_us', ''), '25000')
      assert.equal(read('cpu', 'cpu.cfs_period_us', ''), '100000')
    }
    if (caps.limits.cpu === 'v2') assert.equal(read('cpu', '', 'cpu.max'), '25000 100000')
    await s.stop('w', 0)
    if (missing.length > 0) this.skip() // reported: caps.notes names what this host lacks
  })

  it('memory.limit: an instance that outgrows its memory limit is killed by the kernel, and fails', async function () {
    if (caps.limits.memory === undefined) this.skip() // no memory controller on this host: see caps.notes
    const { s } = await supervise()
    // The shell keeps the 256 MiB it reads in memory; the limit is 32 MiB.
    await s.start(spec({ command: 'sh', args: ['-c', 'x=$(head -c 268435456 /dev/zero | tr "\\0" a); echo survived'], memoryBytes: 32 * 1024 * 1024, restart: { mode: 'never' } }))
    const failed = await until(s, 'failed', st => st.state === 'failed')
    assert.equal(failed.lastExit?.signal, 'SIGKILL', JSON.stringify(failed))
    assert.deepEqual(s.log('w', 0, 'stdout')?.tail(1), [])
  })

  it('pids.max stops a fork bomb, and stop kills all of it', async function () {
    if (caps.limits.pids === undefined) this.skip() // no pids controller on this host: see caps.notes
    const { s, agentId } = await supervise({ stopGraceMs: 100 })
    // A bomb with a fuse: 300 processes at most even if the limit failed, so a bug cannot take the host down.
    // Each sleep is orphaned at once (its sh exits), so only the cgroup still knows it belongs to the bomb.
    await s.start(spec({ command: 'sh', args: ['-c', 'i=0; while [ $i -lt 300 ]; do sh -c "sleep 1000 &"; i=$((i+1)); done; echo fuse-out; exec sleep 1000'], pidsMax: 20 }))
    await pollUntil('the bomb burned its fuse', async () => s.log('w', 0, 'stdout')?.tail(1)[0] === 'fuse-out', PROCESS_BUDGET_MS)
    const events = readFileSync(join(cgroupDir(agentId, 'w-0', 'pids') as string, 'pids.events'), 'utf8')
    assert.ok(Number(/max (\d+)/.exec(events)?.[1]) > 0, `forks were refused: ${events}`)
    const pids = await s.pids('w', 0)
    assert.ok(pids.length <= 20 && pids.length >= 10, `${pids.length} tasks under pids.max 20`)
    await s.stop('w', 0)
    for (const pid of pids) assert.equal(alive(pid), false)
  })

  it('killBy: a process that ignores SIGTERM is dead by the deadline; clearKillBy disarms a deadline', async () => {
    const { s } = await supervise({ stopGraceMs: 5_000, killMarginMs: 250 })
    const scheduler = (s as unknown as { scheduler: { nowMs: () => number } }).scheduler
    await s.start(spec({ command: 'sh', args: ['-c', "trap '' TERM; echo trapped; while :; do sleep 1; done"] }))
    await until(s, 'running', st => st.state === 'running')
    // 'running' comes at the spawn, before sh has set its trap: a SIGTERM in between would end it, and the
    // test would then see SIGTERM where it waits for SIGKILL. Wait for the script to say it is deaf.
    for (let i = 0; i < 250 && s.log('w', 0, 'stdout')?.tail(5).includes('trapped') !== true; i++) await new Promise(resolve => setTimeout(resolve, 20))
    assert.ok(s.log('w', 0, 'stdout')?.tail(5).includes('trapped'), 'the script set its trap')
    const deadlineMs = scheduler.nowMs() + 600
    const outcome = await s.killBy('w', 0, deadlineMs)
    assert.equal(outcome.metDeadline, true, JSON.stringify(outcome))
    assert.equal(s.status('w', 0)?.lastExit?.signal, 'SIGKILL')

    await s.start(spec({ index: 0, workload: 'renewed' }))
    await until(s, 'running', st => st.state === 'running', 'renewed')
    void s.killBy('renewed', 0, scheduler.nowMs() + 300)
    assert.equal(s.clearKillBy('renewed', 0), true)
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(s.status('renewed', 0)?.state, 'running')
  })

  it('stdout and stderr go to the logs', async () => {
    const { s } = await supervise()
    await s.start(spec({ command: 'sh', args: ['-c', 'echo out-1; echo err-1 >&2; echo out-2'], restart: { mode: 'never' } }))
    await until(s, 'exited', st => st.state === 'exited')
    assert.deepEqual(s.log('w', 0, 'stdout')?.tail(5), ['out-1', 'out-2'])
    assert.deepEqual(s.log('w', 0, 'stderr')?.tail(5), ['err-1'])
  })

  it('refuses a bad spec or a second copy with the field named, before doing anything', async () => {
    const { s } = await supervise()
    await assert.rejects(s.start(spec({ workload: '../etc' })), /workload/)
    await assert.rejects(s.start(spec({ pidsMax: -1 })), /pidsMax/)
    await s.start(spec({}))
    await assert.rejects(s.start(spec({})), /already running/)
    await s.stop('w', 0)
  })
})

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}
