import assert from 'node:assert/strict'
import { validateWorkloadSpec, type Assignment, type LeaseEvent, type PlacementNode, type WorkloadSpec } from '@dreammesh/protocols'
import { slotKey, WorkloadAgent, type InstanceRunner, type SlotLeases } from '../src/agent/workload-agent.js'

/**
 * The agent's rules, with its two seams (leases and the instance runner) recorded by hand: only a lease
 * starts an instance, a slot placed elsewhere is stopped before its lease is released, and a lease that
 * ends kills the instance whatever placement says.
 */

function spec (input: object): WorkloadSpec {
  const v = validateWorkloadSpec(input)
  if (!v.ok) throw new Error(v.problems.join('; '))
  return v.spec
}

const node = (id: string): PlacementNode => ({ id, name: id, role: 'server', tags: [], capacity: { cpuMillis: 4_000, memoryBytes: 8 * 2 ** 30 } })

describe('WorkloadAgent (placement -> leases -> instances)', () => {
  let log: string[]
  let nodes: PlacementNode[]
  let current: Assignment[]
  let specs: WorkloadSpec[]
  let agent: WorkloadAgent

  beforeEach(() => {
    log = []
    nodes = [node('a')]
    current = []
    specs = [spec({ name: 'web', kind: 'service', command: '/bin/sleep', args: ['60'] })]
    const leases: SlotLeases = { acquire: (k) => { log.push(`acquire ${k}`) }, release: (k) => { log.push(`release ${k}`) } }
    const runner: InstanceRunner = {
      start: (k, _s, _i, epoch) => { log.push(`start ${k} @${epoch}`) },
      stop: async (k) => { log.push(`stop ${k}`) },
      kill: async (k) => { log.push(`kill ${k}`) },
      statuses: () => []
    }
    agent = new WorkloadAgent({ selfId: 'a', specs: () => specs, nodes: () => nodes, current: () => current, leases, runner })
  })
  afterEach(() => { agent.stop() })

  const acquired = (epoch: number): LeaseEvent => ({ type: 'acquired', resource: slotKey('web', 0), epoch, via: 'quorum', validUntilMs: 0, stopByMs: 0, killByMs: 0 })
  const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

  it('asks for the lease of a slot placed here, and starts it only once the lease is granted', () => {
    agent.reconcile()
    assert.deepEqual(log, ['acquire w/web/0'])
    agent.onLease(acquired(3))
    assert.deepEqual(log, ['acquire w/web/0', 'start w/web/0 @3'])
  })

  it('does not ask for a slot placed on another node', () => {
    nodes = [node('b')]
    agent.reconcile()
    assert.deepEqual(log, [])
  })

  it('a slot placed elsewhere now is stopped first, and its lease released after', async () => {
    agent.reconcile()
    agent.onLease(acquired(1))
    nodes = [node('b')]
    current = []
    agent.reconcile()
    await tick()
    assert.deepEqual(log.slice(2), ['stop w/web/0', 'release w/web/0'])
  })

  it('a lease lost kills the instance at once, whatever placement says, and asks again', async () => {
    agent.reconcile()
    agent.onLease(acquired(1))
    agent.onLease({ type: 'lost', resource: slotKey('web', 0), epoch: 1, reason: 'higher-epoch' })
    assert.equal(log[2], 'kill w/web/0')
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(log[3], 'acquire w/web/0')
  })

  it('stop-by stops gracefully and releases; a grant that comes after placement moved is given back', async () => {
    agent.reconcile()
    agent.onLease(acquired(1))
    agent.onLease({ type: 'stop-by', resource: slotKey('web', 0), epoch: 1, atMs: 0 })
    await tick()
    assert.deepEqual(log.slice(2, 4), ['stop w/web/0', 'release w/web/0'])
    log = []
    agent.reconcile()
    nodes = [node('b')]
    agent.reconcile()
    agent.onLease(acquired(2))
    assert.ok(!log.some(l => l.startsWith('start')), log.join(', '))
    assert.equal(log.filter(l => l === 'release w/web/0').length >= 1, true)
  })
})
