import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pollUntil } from './support/poll.js'
import { cgroupPids, createInstanceCgroup, probeCgroups, procsFiles, reapLeftovers, removeEmptySubtree } from '../src/workloads/cgroups.js'
import { ENTER_FAILED_EXIT_CODE } from '../src/workloads/constants.js'
import { SHELL, enterArgs } from '../src/workloads/watchdog.js'

/** A fake /proc whose mounts point at plain directories: probing logic without touching the host. */
function fakeProc (root: string, mounts: string[], own: string[]): string {
  const proc = join(root, 'proc')
  mkdirSync(join(proc, 'self'), { recursive: true })
  writeFileSync(join(proc, 'self/mounts'), mounts.join('\n') + '\n')
  writeFileSync(join(proc, 'self/cgroup'), own.join('\n') + '\n')
  return proc
}

describe('workloads: cgroup probing, entry and reaping', function () {
  this.timeout(30_000)
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dm-cg-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('probes rather than assumes: a host with only v1 cpu says that memory and pids limits are missing', async () => {
    const cpu = join(dir, 'cpu')
    mkdirSync(join(cpu, 'svc'), { recursive: true })
    const proc = fakeProc(dir, [`cgroup ${cpu} cgroup rw,relatime,cpu,cpuacct 0 0`, 'proc /proc proc rw 0 0'], ['2:cpu,cpuacct:/svc', '0::/'])
    const caps = await probeCgroups({ procRoot: proc })
    assert.equal(caps.v2, undefined)
    assert.deepEqual(caps.v1, { cpu: join(cpu, 'svc', 'dreammesh') }, 'nested under the agent\'s own cgroup')
    assert.deepEqual(caps.limits, { cpu: 'v1', memory: undefined, pids: undefined })
    assert.equal(caps.kill, 'signals')
    assert.ok(caps.notes.includes('cgroup v2: not mounted'))
    assert.ok(caps.notes.some(n => /^memory limits: unavailable/.test(n)), caps.notes.join('\n'))
    assert.ok(caps.notes.some(n => /^pids limits: unavailable/.test(n)))
  })

  it('prefers v2 for a limit when v2 has the controller, and cgroup.kill for killing', async () => {
    const v2 = join(dir, 'unified')
    const pids = join(dir, 'pids')
    mkdirSync(join(v2, 'dreammesh'), { recursive: true })
    mkdirSync(pids)
    writeFileSync(join(v2, 'dreammesh', 'cgroup.kill'), '')
    writeFileSync(join(v2, 'dreammesh', 'cgroup.controllers'), 'cpuset cpu io memory\n')
    const proc = fakeProc(dir, [`cgroup2 ${v2} cgroup2 rw 0 0`, `cgroup ${pids} cgroup rw,pids 0 0`], ['0::/', '3:pids:/'])
    const caps = await probeCgroups({ procRoot: proc })
    assert.deepEqual(caps.limits, { cpu: 'v2', memory: 'v2', pids: 'v1' })
    assert.equal(caps.kill, 'cgroup.kill')
    assert.equal((await probeCgroups({ procRoot: proc, withoutV2: true })).kill, 'signals')
    const none = await probeCgroups({ procRoot: fakeProc(join(dir, 'empty'), [], []) })
    assert.equal(none.kill, 'process-group')
    assert.ok(none.notes.some(n => /setsid/.test(n)), 'says what is lost without cgroups')
  })

  describe('on this host', () => {
    const agentId = `cg-${process.pid}`

    afterEach(async () => {
      const caps = await probeCgroups()
      await reapLeftovers(caps, agentId, 5_000)
      await removeEmptySubtree(caps, agentId)
    })

    it('reports what it found', async function () {
      const caps = await probeCgroups()
      if (caps.kill === 'process-group') this.skip() // no writable cgroup (not root?): caps.notes says which
      console.log(`      kill: ${caps.kill}; limits: ${JSON.stringify(caps.limits)}; ${caps.notes.join('; ')}`)
      for (const base of [caps.v2?.base, ...Object.values(caps.v1)]) if (base !== undefined) assert.ok(existsSync(base))
    })

    it('the entry wrapper is in every cgroup before its command runs, and refuses to run outside them', async function () {
      const caps = await probeCgroups()
      if (caps.kill === 'process-group') this.skip()
      const { cgroup } = await createInstanceCgroup(caps, agentId, 'enter-0', {})
      // The command reads its own cgroups: if it started before joining, /proc/self/cgroup would say so.
      const out = await run(enterArgs(procsFiles(cgroup), 'cat', ['/proc/self/cgroup']))
      assert.equal(out.code, 0)
      for (const dir of cgroup.dirs) {
        const rel = dir.split('/dreammesh/')[1]
        assert.ok(out.stdout.includes(`/dreammesh/${rel}`), `in ${dir}:\n${out.stdout}`)
      }
      const refused = await run(enterArgs([join(dir, 'no-such-cgroup', 'cgroup.procs')], 'sh', ['-c', 'echo ran']))
      assert.equal(refused.code, ENTER_FAILED_EXIT_CODE)
      assert.equal(refused.stdout, '', 'the command never ran')
    })

    it('reapLeftovers kills a leftover cgroup\'s processes, orphans included, and removes it', async function () {
      const caps = await probeCgroups()
      if (caps.kill === 'process-group') this.skip()
      const { cgroup } = await createInstanceCgroup(caps, agentId, 'left-0', {})
      const child = spawn(SHELL, enterArgs(procsFiles(cgroup), 'sh', ['-c', 'sleep 1000 & sleep 1000']), { detached: true, stdio: 'ignore' })
      child.unref()
      await pollUntil('both sleeps in the cgroup', async () => (await cgroupPids(cgroup)).length === 3)
      const pids = await cgroupPids(cgroup)
      const reaped = await reapLeftovers(caps, agentId, 5_000)
      assert.deepEqual(reaped.map(r => [r.name, r.removed]), [['left-0', true]])
      assert.deepEqual([...reaped[0].pids].sort(), [...pids].sort())
      for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), false)
      for (const d of cgroup.dirs) assert.equal(existsSync(d), false)
    })

    it('reapLeftovers also kills a leftover from a v1-only configuration when v2 is in use now', async function () {
      const caps = await probeCgroups()
      const v1Only = await probeCgroups({ withoutV2: true })
      if (caps.v2 === undefined || Object.keys(v1Only.v1).length === 0) this.skip() // needs both hierarchies, as this host may have
      const { cgroup } = await createInstanceCgroup(v1Only, agentId, 'old-0', {})
      const child = spawn(SHELL, enterArgs(procsFiles(cgroup), 'sleep', ['1000']), { detached: true, stdio: 'ignore' })
      child.unref()
      await pollUntil('the sleep in the v1 cgroups', async () => (await cgroupPids(cgroup)).length === 1)
      const [pid] = await cgroupPids(cgroup)
      const reaped = await reapLeftovers(caps, agentId, 5_000)
      assert.deepEqual(reaped.map(r => [r.name, r.pids, r.removed]), [['old-0', [pid], true]])
      assert.equal(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), false)
    })
  })
})

async function run (argv: string[]): Promise<{ code: number | null, stdout: string }> {
  return await new Promise((resolve) => {
    const child = spawn(SHELL, argv, { stdio: ['ignore', 'pipe', 'ignore'] })
    let stdout = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.on('close', (code) => resolve({ code, stdout }))
  })
}
