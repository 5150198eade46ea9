import assert from 'node:assert/strict'
import { PlacementAgent, agentSlotKey, parseAgentSlotKey, type AgentCommand } from '../src/placement/agent.js'
import type { LeaseEvent } from '../src/lease/types.js'
import type { PlacementInput, PlacementNode } from '../src/placement/types.js'
import { validateWorkloadSpec } from '../src/placement/validate.js'
import type { WorkloadSpec } from '../src/placement/spec.js'

/**
 * The sans-IO agent's rules, step by step: only a lease starts an instance; a stateful slot is prepared
 * between the grant and the start; a slot placed elsewhere is stopped before its lease is released; a lease
 * that ends kills whatever runs.
 */

function spec (input: object): WorkloadSpec {
  const v = validateWorkloadSpec(input)
  if (!v.ok) throw new Error(v.problems.join('; '))
  return v.spec
}

const node = (id: string): PlacementNode => ({ id, name: id, role: 'server', tags: [], capacity: { cpuMillis: 4_000, memoryBytes: 8 * 2 ** 30 } })
const KEY = agentSlotKey('db', 0)
const acquired = (epoch: number, resource = KEY): LeaseEvent => ({ type: 'acquired', resource, epoch, via: 'quorum', validUntilMs: 0, stopByMs: 0, killByMs: 0 })
const show = (commands: AgentCommand[]): string[] => commands.map(c => 'epoch' in c ? `${c.type} ${c.key} @${c.epoch}${'from' in c && c.from !== undefined ? ` from ${c.from}` : ''}` : `${c.type} ${c.key}`)

describe('PlacementAgent (sans-IO: placement -> leases -> instances)', () => {
  const stateful = spec({ name: 'db', kind: 'service', command: '/bin/true', stateDir: 'db' })
  const stateless = spec({ name: 'db', kind: 'service', command: '/bin/true' })

  function agentOn (self: string, s: WorkloadSpec): PlacementAgent {
    return new PlacementAgent({ selfId: self, hasState: () => s.stateDir !== undefined })
  }

  it('keys slots as w/<workload>/<index> and parses them back', () => {
    assert.equal(KEY, 'w/db/0')
    assert.deepEqual(parseAgentSlotKey('w/my-app/12'), { workload: 'my-app', index: 12 })
    assert.equal(parseAgentSlotKey('input/focus'), undefined)
  })

  it('a stateless slot starts on the grant', () => {
    const agent = agentOn('a', stateless)
    assert.deepEqual(show(agent.step({ type: 'reconcile', input: { specs: [stateless], nodes: [node('a')] } }).commands), ['acquire w/db/0'])
    assert.deepEqual(show(agent.step({ type: 'lease', event: acquired(4) }).commands), ['start w/db/0 @4'])
  })

  it('a stateful slot that moved is prepared from its old node, and starts only once prepared', () => {
    const agent = agentOn('b', stateful)
    const input: PlacementInput = { specs: [stateful], nodes: [node('a'), node('b')], current: [{ workload: 'db', index: 0, node: 'a' }], moves: [{ workload: 'db', index: 0, to: 'b' }] }
    assert.deepEqual(show(agent.step({ type: 'reconcile', input }).commands), ['acquire w/db/0'])
    // The old copy stopped: it no longer shows in `current`, yet the agent remembers where the state is.
    assert.deepEqual(agent.step({ type: 'reconcile', input: { ...input, current: [] } }).commands, [])
    assert.deepEqual(show(agent.step({ type: 'lease', event: acquired(7) }).commands), ['prepare w/db/0 @7 from a'])
    assert.equal(agent.phases().get(KEY), 'preparing')
    assert.deepEqual(show(agent.step({ type: 'prepared', key: KEY, ok: true }).commands), ['start w/db/0 @7'])
  })

  it('a failed prepare gives the lease back and starts nothing', () => {
    const agent = agentOn('a', stateful)
    agent.step({ type: 'reconcile', input: { specs: [stateful], nodes: [node('a')] } })
    agent.step({ type: 'lease', event: acquired(2) })
    assert.deepEqual(show(agent.step({ type: 'prepared', key: KEY, ok: false }).commands), ['release w/db/0'])
    assert.equal(agent.phases().size, 0)
    // A late answer for a slot that is gone changes nothing.
    assert.deepEqual(agent.step({ type: 'prepared', key: KEY, ok: true }).commands, [])
  })

  it('a slot placed elsewhere is stopped first, and released only once stopped', () => {
    const agent = agentOn('a', stateless)
    agent.step({ type: 'reconcile', input: { specs: [stateless], nodes: [node('a')] } })
    agent.step({ type: 'lease', event: acquired(1) })
    const moved = agent.step({ type: 'reconcile', input: { specs: [stateless], nodes: [node('a'), node('b')], current: [{ workload: 'db', index: 0, node: 'a' }], moves: [{ workload: 'db', index: 0, to: 'b' }] } })
    assert.deepEqual(show(moved.commands), ['stop w/db/0'])
    const stopped = agent.step({ type: 'stopped', key: KEY })
    assert.deepEqual(show(stopped.commands), ['release w/db/0'])
    assert.equal(stopped.reconcileSoon, true)
  })

  it('kill-by and lost kill at once, forget the slot and ask for a reconcile', () => {
    const agent = agentOn('a', stateless)
    agent.step({ type: 'reconcile', input: { specs: [stateless], nodes: [node('a')] } })
    agent.step({ type: 'lease', event: acquired(1) })
    const lost = agent.step({ type: 'lease', event: { type: 'lost', resource: KEY, epoch: 1, reason: 'higher-epoch' } })
    assert.deepEqual(show(lost.commands), ['kill w/db/0'])
    assert.equal(lost.reconcileSoon, true)
    assert.equal(agent.phases().size, 0)
  })

  it('a grant that arrives after placement moved on is given back', () => {
    const agent = agentOn('a', stateless)
    agent.step({ type: 'reconcile', input: { specs: [stateless], nodes: [node('a')] } })
    agent.step({ type: 'reconcile', input: { specs: [], nodes: [node('a')] } })
    assert.deepEqual(show(agent.step({ type: 'lease', event: acquired(3) }).commands), ['release w/db/0'])
  })

  it('ignores leases of other resources', () => {
    const agent = agentOn('a', stateless)
    assert.deepEqual(agent.step({ type: 'lease', event: acquired(1, 'input/focus') }).commands, [])
  })
})
