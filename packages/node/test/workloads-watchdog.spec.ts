import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { pollUntil } from './support/poll.js'
import { probeCgroups, type CgroupCapabilities } from '../src/workloads/cgroups.js'
import type { WorkloadEvent } from '../src/workloads/events.js'
import { createWorkloadSupervisor } from '../src/workloads/supervisor.js'

/** How long the orphans may take to die after their agent did; a bound, not an expected speed. */
const ORPHAN_DEATH_BUDGET_MS = 10_000

/**
 * A real agent: a separate Node process that runs a supervisor with one instance, `sleep` that has forked a
 * grandchild `sleep`, prints their pids, and then idles until it is killed.
 */
const AGENT = String.raw`
const [, , modulePath, agentId, dataDir, mode] = process.argv
const { createWorkloadSupervisor, probeCgroups } = await import(modulePath)
const cgroups = await probeCgroups({ withoutV2: mode === 'v1' })
const s = await createWorkloadSupervisor({ agentId, dataDir, cgroups, bubblewrap: { missing: 'unused' } })
await s.start({ workload: 'orphan', index: 0, epoch: 1, command: 'sh', args: ['-c', 'sleep 1000 & exec sleep 1000'], restart: { mode: 'never' } })
while ((await s.pids('orphan', 0)).length < 2) await new Promise(resolve => setTimeout(resolve, 20))
console.log(JSON.stringify({ pids: await s.pids('orphan', 0), kill: cgroups.kill }))
setInterval(() => {}, 1 << 30)
`

function alive (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch { return false }
}

/** The pids whose parent is `ppid` and whose command line contains `marker`. */
function childrenOf (ppid: number, marker: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (parent === ppid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry))
    } catch { /* it exited while we looked */ }
  }
  return found
}

describe('workloads: an agent that dies takes its instances with it', function () {
  this.timeout(60_000)
  let caps: CgroupCapabilities
  let dir: string
  let agentScript: string
  const agents: ChildProcess[] = []
  const modulePath = fileURLToPath(new URL('../src/workloads/index.js', import.meta.url))
  let serial = 0

  before(async function () {
    caps = await probeCgroups()
    if (caps.kill === 'process-group') this.skip() // no writable cgroup here (not root?): see caps.notes
    dir = mkdtempSync(join(tmpdir(), 'dm-agent-'))
    agentScript = join(dir, 'agent.mjs')
    writeFileSync(agentScript, AGENT)
  })

  after(async () => {
    for (const a of agents) if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL')
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  async function startAgent (mode: 'v2' | 'v1'): Promise<{ agent: ChildProcess, agentId: string, dataDir: string, pids: number[], kill: string }> {
    const agentId = `agent-${process.pid}-${serial++}`
    const dataDir = join(dir, agentId)
    // Its own process group, as a daemon started from a terminal has: one test signals the whole group.
    const agent = spawn(process.execPath, [agentScript, modulePath, agentId, dataDir, mode], { stdio: ['ignore', 'pipe', 'inherit'], detached: true })
    agents.push(agent)
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: agent.stdout as NodeJS.ReadableStream }).once('line', resolve)
      agent.once('exit', (code) => reject(new Error(`agent exited ${code} before it reported`)))
    })
    const { pids, kill } = JSON.parse(line) as { pids: number[], kill: string }
    return { agent, agentId, dataDir, pids, kill }
  }

  function instanceDirs (agentId: string): string[] {
    return [caps.v2?.base, ...Object.values(caps.v1)].filter((b): b is string => b !== undefined).map(b => join(b, agentId, 'orphan-0'))
  }

  for (const mode of ['v2', 'v1'] as const) {
    it(`kill -9 of the agent: the instance and its grandchild die, and the cgroups go (${mode === 'v2' ? 'cgroup.kill' : 'v1 freezer'})`, async function () {
      if (mode === 'v2' && caps.v2?.kill !== true) this.skip() // no cgroup v2 with cgroup.kill on this host
      if (mode === 'v1' && caps.v1.freezer === undefined) this.skip() // no v1 freezer on this host
      const { agent, agentId, pids, kill } = await startAgent(mode)
      assert.equal(kill, mode === 'v2' ? 'cgroup.kill' : 'freezer')
      assert.equal(pids.length, 2, 'the instance and the grandchild it forked')
      assert.ok(pids.every(alive))
      agent.kill('SIGKILL')
      await pollUntil(() => `orphans ${pids.filter(alive).join(' ')} still alive`, async () => !pids.some(alive), ORPHAN_DEATH_BUDGET_MS)
      await pollUntil('the watchdog removed the cgroups', async () => !instanceDirs(agentId).some(existsSync), ORPHAN_DEATH_BUDGET_MS)
      // Also the agent's own directories: an empty cgroup left behind would block removing its parent.
      await pollUntil('the watchdog removed the agent\'s directories', async () => !instanceDirs(agentId).map(d => join(d, '..')).some(existsSync), ORPHAN_DEATH_BUDGET_MS)
    })
  }

  it('Ctrl-C to the agent\'s process group ends the agent, not the watchdog: the instance dies too', async () => {
    const { agent, agentId, pids } = await startAgent('v2')
    // A terminal sends SIGINT to the whole foreground group; Node's default is to exit on it.
    process.kill(-(agent.pid as number), 'SIGINT')
    await pollUntil('the agent exited on SIGINT', async () => !alive(agent.pid as number))
    await pollUntil(() => `orphans ${pids.filter(alive).join(' ')} still alive`, async () => !pids.some(alive), ORPHAN_DEATH_BUDGET_MS)
    await pollUntil('the watchdog removed the cgroups', async () => !instanceDirs(agentId).some(existsSync), ORPHAN_DEATH_BUDGET_MS)
  })

  it('a restarted agent reaps what a dead agent AND its dead watchdog left, before anything else', async () => {
    const { agent, agentId, dataDir, pids } = await startAgent('v2')
    const [watchdog] = childrenOf(agent.pid as number, 'dreammesh-watchdog')
    assert.ok(watchdog !== undefined, 'the agent runs a watchdog')
    // Stop the agent first so it cannot replace its watchdog, then take both down hard: the worst case.
    agent.kill('SIGSTOP')
    process.kill(watchdog, 'SIGKILL')
    agent.kill('SIGKILL')
    await pollUntil('the agent is gone', async () => !alive(agent.pid as number))
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.ok(pids.every(alive), 'with no watchdog left, the instance survived its agent: the orphan we must reap')

    const events: WorkloadEvent[] = []
    const restarted = await createWorkloadSupervisor({ agentId, dataDir, cgroups: caps, bubblewrap: { missing: 'unused' }, onEvent: e => events.push(e) })
    // Reaping is done when the supervisor exists: no polling.
    assert.equal(pids.some(alive), false, 'the leftovers are dead by the time the supervisor is returned')
    const reaped = events.flatMap(e => e.type === 'leftover-reaped' ? [e.leftover] : [])
    assert.deepEqual(reaped.map(r => r.name), ['orphan-0'])
    assert.deepEqual([...reaped[0].pids].sort(), [...pids].sort())
    assert.equal(reaped[0].removed, true)
    assert.equal(instanceDirs(agentId).some(existsSync), false)
    await restarted.close()
  })
})
