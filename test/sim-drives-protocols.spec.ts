/**
 * Cross-package tests: the simulator and the protocols, through their public entry points only, as another
 * tool would use them, and the installed `dreammesh-sim` command as a user runs it.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { MachineDriver, Membership, Xoshiro128, lanConfig } from '@dreammesh/protocols'
import type { MembershipCommand, MembershipEvent } from '@dreammesh/protocols'
import { EventQueue, NodeClock, NodeFaults, SimNetwork, SimScheduler, completenessBoundMs } from '@dreammesh/sim'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const run = promisify(execFile)

describe('the simulator drives the unmodified membership machine', () => {
  it('eight members on a lossy network converge, and a lost machine is declared dead by all within the bound', () => {
    const seed = new Xoshiro128(11)
    const queue = new EventQueue()
    const network = new SimNetwork(queue, seed.fork('network'), { lossProbability: 0.02 })
    const faults = new NodeFaults(network)
    const machines: Membership[] = []
    const deadAt = new Map<string, number>()
    const ids = Array.from({ length: 8 }, (_, i) => `member-${i}`)
    for (const id of ids) {
      const index = network.addNode(id)
      const clock = new NodeClock(queue, { rate: 1 + (index - 4) * 2e-4 })
      const scheduler = new SimScheduler(queue, clock, network.runtime(index))
      const machine = new Membership({ id, meta: { name: id, role: 'server', addrs: [], tags: [], state: new Uint8Array(0) }, rng: seed.fork(id), nowMs: scheduler.nowMs() })
      machines.push(machine)
      const driver = new MachineDriver<MembershipCommand, MembershipEvent>(machine, network.openTransport(index), scheduler, {
        onEvent: (e) => { if (e.type === 'dead' && e.member.id === 'member-7') deadAt.set(id, queue.nowMs) },
        closedCommand: (peer) => ({ type: 'connection-closed', peer })
      })
      driver.start()
      driver.command({ type: 'join', seeds: ['member-0'] })
    }
    queue.runUntil(5_000)
    for (const m of machines) assert.equal(m.liveIds().length, 7, `${m.id} sees everyone`)

    faults.crash(7, { machineLoss: true })
    const crashedAt = queue.nowMs
    queue.runUntil(crashedAt + 20_000)
    const bound = completenessBoundMs(lanConfig(), 8)
    for (const id of ids.slice(0, 7)) {
      const at = deadAt.get(id)
      assert.ok(at !== undefined, `${id} declared member-7 dead`)
      assert.ok(at - crashedAt <= bound, `${id} after ${at - crashedAt} ms, bound ${bound} ms`)
    }
    for (const m of machines.slice(0, 7)) assert.equal(m.liveIds().length, 6)
  })
})

describe('the installed dreammesh-sim command', function () {
  this.timeout(60_000)
  const bin = join(root, 'node_modules', '.bin', 'dreammesh-sim')

  it('prints one JSON result with the documented keys, the same for the same seed', async () => {
    const args = ['membership', '--nodes', '12', '--seed', '5', '--loss', '0.01', '--crash', '2', '--duration', '40s', '--json']
    const [a, b] = await Promise.all([run(bin, args), run(bin, args)])
    const ra = JSON.parse(a.stdout)
    const rb = JSON.parse(b.stdout)
    for (const key of ['nodes', 'seed', 'virtualSeconds', 'wallSeconds', 'detection', 'joinAllMs', 'falsePositives', 'msgsPerNodePerSec', 'bytesPerNodePerSec', 'converged', 'violations']) {
      assert.ok(key in ra, `missing ${key}`)
    }
    assert.ok(['p50', 'p99'].every((k) => k in ra.detection.firstMs && k in ra.detection.allMs && k in ra.joinAllMs))
    assert.equal(ra.detection.allMs.count, 2)
    assert.deepEqual({ ...ra, wallSeconds: 0 }, { ...rb, wallSeconds: 0 })
  })

  it('exits 1 with the replay command when a broken variant violates the invariants', async () => {
    const args = ['membership', '--nodes', '20', '--seed', '1', '--loss', '0.05', '--pause-every-s', '10', '--pause-ms', '500', '--pause-share', '0.2', '--duration', '40s', '--variant', 'no-refutation']
    await assert.rejects(run(bin, args), (err: { code: number, stderr: string }) => {
      assert.equal(err.code, 1)
      assert.match(err.stderr, /Reproduce with --seed=1/)
      assert.match(err.stderr, /dreammesh-sim membership .*--variant no-refutation/)
      return true
    })
  })

  it('refuses a bad flag with exit code 2 and no stack trace', async () => {
    await assert.rejects(run(bin, ['membership', '--nodes', '10', '--loss', '1.5']), (err: { code: number, stderr: string }) => {
      assert.equal(err.code, 2)
      assert.match(err.stderr, /--loss must be a fraction from 0 to 1/)
      assert.doesNotMatch(err.stderr, /at .*\.js:\d+/)
      return true
    })
  })
})
