import assert from 'node:assert/strict'
import { place } from '../src/placement/place.js'
import { tieBreak } from '../src/placement/score.js'
import { slotKey, systemSlotIndex } from '../src/placement/slots.js'
import type { WorkloadSpec } from '../src/placement/spec.js'
import type { Assignment, PlacedSlot, Placement, PlacementInput, PlacementNode, SlotPlacement } from '../src/placement/types.js'
import { validateWorkloadSpec } from '../src/placement/validate.js'

const GiB = 2 ** 30

/** A validated spec; the tests only write the fields they care about. */
function spec (fields: Record<string, unknown>): WorkloadSpec {
  const v = validateWorkloadSpec({ kind: 'service', command: 'run', resources: { cpuMillis: 1_000, memoryBytes: GiB }, ...fields })
  if (!v.ok) assert.fail(v.problems.join('; '))
  return v.spec
}

function node (id: string, over: Partial<PlacementNode> = {}): PlacementNode {
  return { id, name: id, role: 'server', tags: [], capacity: { cpuMillis: 8_000, memoryBytes: 16 * GiB }, ...over }
}

function slotOf (p: Placement, workload: string, index = 0): SlotPlacement {
  const s = p.slots.find((x) => x.workload === workload && x.index === index)
  assert.ok(s !== undefined, `no slot ${workload}/${index}`)
  return s
}

function placedOn (p: Placement, workload: string, index = 0): string {
  const s = slotOf(p, workload, index)
  assert.equal(s.status, 'placed', `${workload}/${index}: ${JSON.stringify(s)}`)
  return (s as PlacedSlot).node
}

function current (p: Placement): Assignment[] {
  return p.slots.flatMap((s) => s.status === 'placed' ? [{ workload: s.workload, index: s.index, node: s.node }] : [])
}

/** No node is booked past its capacity, by recomputing the bookings from the slots themselves. */
function assertWithinCapacity (input: PlacementInput, p: Placement): void {
  const byName = new Map(input.specs.map((s) => [s.name, s]))
  for (const n of input.nodes) {
    let cpu = 0
    let mem = 0
    for (const s of p.slots) {
      if (s.status !== 'placed' || s.node !== n.id) continue
      cpu += byName.get(s.workload)!.resources.cpuMillis
      mem += byName.get(s.workload)!.resources.memoryBytes
    }
    assert.ok(cpu <= n.capacity.cpuMillis && mem <= n.capacity.memoryBytes, `${n.id} over capacity: ${cpu} mCPU, ${mem} bytes`)
  }
}

describe('placement: place, the kinds', () => {
  const nodes = ['a', 'b', 'c', 'd'].map((id) => node(id))

  it('a service is one slot on one node', () => {
    const p = place({ specs: [spec({ name: 'web' })], nodes })
    assert.equal(p.slots.length, 1)
    assert.deepEqual({ ...slotOf(p, 'web'), node: undefined }, { workload: 'web', index: 0, kind: 'service', status: 'placed', node: undefined, cause: 'new' })
  })

  it('replicas go to distinct nodes by default; beyond the nodes they wait with per-node-limit', () => {
    const p = place({ specs: [spec({ name: 'db', kind: 'replicated', replicas: 6 })], nodes })
    const on = [0, 1, 2, 3].map((i) => placedOn(p, 'db', i))
    assert.equal(new Set(on).size, 4)
    for (const i of [4, 5]) {
      const s = slotOf(p, 'db', i)
      assert.ok(s.status === 'pending' && s.reason === 'per-node-limit', JSON.stringify(s))
    }
  })

  it('maxPerNode above one still prefers empty nodes while there are some', () => {
    const p = place({ specs: [spec({ name: 'db', kind: 'replicated', replicas: 6, maxPerNode: 2 })], nodes })
    const on = [0, 1, 2, 3, 4, 5].map((i) => placedOn(p, 'db', i))
    const perNode = new Map<string, number>()
    for (const n of on) perNode.set(n, (perNode.get(n) ?? 0) + 1)
    assert.deepEqual([...perNode.values()].sort(), [1, 1, 2, 2])
  })

  it('a system workload has one slot per matching node, indexed by a hash of the node id', () => {
    const p = place({ specs: [spec({ name: 'agent', kind: 'system', constraints: { roles: ['server'] } })], nodes: [...nodes, node('tv', { role: 'client' })] })
    assert.equal(p.slots.length, 4)
    for (const s of p.slots) {
      assert.equal(s.status, 'placed')
      assert.equal(s.index, systemSlotIndex((s as PlacedSlot).node))
    }
    assert.deepEqual(p.slots.map((s) => (s as PlacedSlot).node).sort(), ['a', 'b', 'c', 'd'])
  })

  it('a system slot keeps its index when other nodes come and go', () => {
    const s = spec({ name: 'agent', kind: 'system' })
    const before = place({ specs: [s], nodes })
    const after = place({ specs: [s], nodes: [node('e'), ...nodes.slice(1)], current: current(before) })
    for (const id of ['b', 'c', 'd']) {
      const was = before.slots.find((x) => x.status === 'placed' && x.node === id)!
      const now = after.slots.find((x) => x.status === 'placed' && x.node === id)!
      assert.equal(now.index, was.index)
      assert.equal((now as PlacedSlot).cause, 'kept')
    }
  })

  it('a system slot with no room on its node waits there', () => {
    const p = place({ specs: [spec({ name: 'agent', kind: 'system', resources: { cpuMillis: 100, memoryBytes: 20 * GiB } })], nodes: [node('a'), node('big', { capacity: { cpuMillis: 1_000, memoryBytes: 32 * GiB } })] })
    const onA = p.slots.find((s) => s.index === systemSlotIndex('a'))!
    assert.ok(onA.status === 'pending' && onA.reason === 'insufficient-capacity' && onA.node === 'a', JSON.stringify(onA))
    assert.equal(placedOn(p, 'agent', systemSlotIndex('big')), 'big')
  })

  it('a cluster-aware workload runs its scale, clamped into min..max, and its minimum without one', () => {
    const ca = spec({ name: 'render', kind: 'cluster-aware', minInstances: 1, maxInstances: 3 })
    assert.equal(place({ specs: [ca], nodes }).slots.length, 1)
    assert.equal(place({ specs: [ca], nodes, scale: [{ workload: 'render', instances: 2 }] }).slots.length, 2)
    const p = place({ specs: [ca], nodes, scale: [{ workload: 'render', instances: 9 }] })
    assert.equal(p.slots.length, 3)
    assert.deepEqual(p.problems.map((x) => [x.input, x.reason]), [['scale', 'clamped']])
    // Scaling down keeps the lowest indexes where they are.
    const down = place({ specs: [ca], nodes, scale: [{ workload: 'render', instances: 2 }], current: current(p) })
    assert.deepEqual(down.slots.map((s) => [s.index, (s as PlacedSlot).cause, (s as PlacedSlot).node]), [0, 1].map((i) => [i, 'kept', placedOn(p, 'render', i)]))
  })

  it('a vm is one slot; it follows a drain or a move but is not failed over when its node is lost', () => {
    const vm = spec({ name: 'win', kind: 'vm', vm: { image: '/vm/win.qcow2', memoryMb: 2048, cpus: 2 }, command: undefined, resources: undefined })
    const first = place({ specs: [vm], nodes })
    const home = placedOn(first, 'win')
    const lost = place({ specs: [vm], nodes: nodes.filter((n) => n.id !== home), current: current(first) })
    const s = slotOf(lost, 'win')
    assert.ok(s.status === 'pending' && s.reason === 'vm-node-lost' && s.node === home, JSON.stringify(s))
    const other = nodes.find((n) => n.id !== home)!.id
    const moved = place({ specs: [vm], nodes: nodes.filter((n) => n.id !== home), current: current(first), moves: [{ workload: 'win', index: 0, to: other }] })
    assert.equal(placedOn(moved, 'win'), other)
    const drained = place({ specs: [vm], nodes: nodes.map((n) => n.id === home ? { ...n, draining: true } : n), current: current(first) })
    assert.notEqual(placedOn(drained, 'win'), home)
    assert.equal((slotOf(drained, 'win') as PlacedSlot).cause, 'node-draining')
    // Its node comes back: it is placed there again, as it was.
    const back = place({ specs: [vm], nodes, current: [{ workload: 'win', index: 0, node: home }] })
    assert.equal((slotOf(back, 'win') as PlacedSlot).cause, 'kept')
  })
})

describe('placement: place, constraints and scoring', () => {
  it('filters by role, by all tags, and by node name', () => {
    const nodes = [
      node('a', { role: 'client', tags: ['gpu', 'ssd'] }),
      node('b', { tags: ['gpu'] }),
      node('c', { tags: ['gpu', 'ssd'] }),
      node('d', { name: 'den', tags: ['gpu', 'ssd'] })
    ]
    const p = place({
      specs: [
        spec({ name: 'ml', constraints: { roles: ['server'], tags: ['gpu', 'ssd'], nodes: ['c', 'den'] } }),
        spec({ name: 'den-only', constraints: { nodes: ['den'] } }),
        spec({ name: 'client', constraints: { roles: ['client'] } }),
        spec({ name: 'both', kind: 'replicated', replicas: 2, constraints: { tags: ['gpu', 'ssd'], roles: ['server'] } })
      ],
      nodes
    })
    assert.ok(['c', 'd'].includes(placedOn(p, 'ml')))
    assert.equal(placedOn(p, 'den-only'), 'd')
    assert.equal(placedOn(p, 'client'), 'a')
    assert.deepEqual([placedOn(p, 'both', 0), placedOn(p, 'both', 1)].sort(), ['c', 'd'])
  })

  it('waits with a reason when nothing matches or nothing has room', () => {
    const p = place({
      specs: [spec({ name: 'gpu', constraints: { tags: ['gpu'] } }), spec({ name: 'huge', resources: { cpuMillis: 1, memoryBytes: 64 * GiB } })],
      nodes: [node('a'), node('b')]
    })
    const gpu = slotOf(p, 'gpu')
    assert.ok(gpu.status === 'pending' && gpu.reason === 'no-matching-node', JSON.stringify(gpu))
    const huge = slotOf(p, 'huge')
    assert.ok(huge.status === 'pending' && huge.reason === 'insufficient-capacity', JSON.stringify(huge))
    assert.match(huge.detail, /2 of 2 nodes match/)
    const none = place({ specs: [spec({ name: 'x' })], nodes: [] })
    assert.equal((slotOf(none, 'x') as { reason: string }).reason, 'no-matching-node')
  })

  it('binpack fills the busiest node that fits; spread picks the emptiest', () => {
    // a already runs 6 of 8 cores; b runs nothing. A 1-core service fits both.
    const nodes = [node('a'), node('b')]
    const specs = [spec({ name: 'big', resources: { cpuMillis: 6_000, memoryBytes: 12 * GiB } }), spec({ name: 'small' })]
    const cur = [{ workload: 'big', index: 0, node: 'a' }]
    assert.equal(placedOn(place({ specs, nodes, current: cur, scoring: 'binpack' }), 'small'), 'a')
    assert.equal(placedOn(place({ specs, nodes, current: cur, scoring: 'spread' }), 'small'), 'b')
    assert.equal(placedOn(place({ specs, nodes, current: cur }), 'small'), 'a', 'binpack is the default')
  })

  it('binpack leaves whole servers empty: ten services on five servers use as few as fit', () => {
    const nodes = ['s1', 's2', 's3', 's4', 's5'].map((id) => node(id))
    const specs = Array.from({ length: 10 }, (_, i) => spec({ name: `w${i}`, resources: { cpuMillis: 2_000, memoryBytes: 4 * GiB } }))
    const used = (p: Placement): number => new Set(p.slots.map((s) => (s as PlacedSlot).node)).size
    assert.equal(used(place({ specs, nodes, scoring: 'binpack' })), 3) // 4 per node: 4 + 4 + 2
    assert.equal(used(place({ specs, nodes, scoring: 'spread' })), 5)
  })

  it('equal scores are broken by the hash of (slot, node), not by id or input order', () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((id) => node(id))
    const chosen = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const name = `svc${i}`
      const on = placedOn(place({ specs: [spec({ name })], nodes }), name)
      const best = [...nodes].sort((x, y) => tieBreak(slotKey(name, 0), y.id) - tieBreak(slotKey(name, 0), x.id))[0].id
      assert.equal(on, best, name)
      chosen.add(on)
    }
    assert.ok(chosen.size >= 3, `singletons alone on identical nodes land on ${chosen.size} of them`)
  })

  it('affinity attracts, anti-affinity repels, and neither overrides a hard constraint', () => {
    const nodes = [node('a', { tags: ['fast'] }), node('b'), node('c', { tags: ['noisy'] })]
    for (const scoring of ['binpack', 'spread'] as const) {
      const p = place({
        scoring,
        specs: [
          spec({ name: 'db' }),
          spec({ name: 'app', affinity: [{ on: 'workload', value: 'db', weight: 100 }] }),
          spec({ name: 'cache', affinity: [{ on: 'tag', value: 'fast', weight: 10 }] }),
          spec({ name: 'quiet', antiAffinity: [{ on: 'tag', value: 'noisy', weight: 100 }, { on: 'tag', value: 'fast', weight: 100 }] }),
          spec({ name: 'pinned', constraints: { nodes: ['c'] }, antiAffinity: [{ on: 'node', value: 'c', weight: 100 }] })
        ],
        nodes
      })
      assert.equal(placedOn(p, 'app'), placedOn(p, 'db'), scoring)
      assert.equal(placedOn(p, 'cache'), 'a', scoring)
      assert.equal(placedOn(p, 'quiet'), 'b', scoring)
      assert.equal(placedOn(p, 'pinned'), 'c', scoring)
    }
  })

  it('never books a node past its capacity, even when a request grows under a running instance', () => {
    const nodes = [node('a', { capacity: { cpuMillis: 4_000, memoryBytes: 4 * GiB } }), node('b', { capacity: { cpuMillis: 4_000, memoryBytes: 4 * GiB } })]
    const small = [1, 2, 3].map((i) => spec({ name: `w${i}`, resources: { cpuMillis: 1_000, memoryBytes: GiB } }))
    const input: PlacementInput = { specs: small, nodes, current: small.map((s) => ({ workload: s.name, index: 0, node: 'a' })) }
    const p = place(input)
    assert.deepEqual(p.slots.map((s) => (s as PlacedSlot).cause), ['kept', 'kept', 'kept'])
    const grown = [...small.slice(0, 2), spec({ name: 'w3', resources: { cpuMillis: 3_000, memoryBytes: GiB } })]
    const input2: PlacementInput = { ...input, specs: grown }
    const p2 = place(input2)
    assertWithinCapacity(input2, p2)
    const w3 = slotOf(p2, 'w3') as PlacedSlot
    assert.deepEqual([w3.node, w3.cause, w3.from], ['b', 'over-capacity', 'a'])
    assert.deepEqual(p2.booked, [{ node: 'a', used: { cpuMillis: 2_000, memoryBytes: 2 * GiB } }, { node: 'b', used: { cpuMillis: 3_000, memoryBytes: GiB } }])
  })
})

describe('placement: place, stability', () => {
  const nodes = ['a', 'b', 'c'].map((id) => node(id))
  const specs = [
    spec({ name: 'web', kind: 'replicated', replicas: 2, constraints: { tags: [] } }),
    spec({ name: 'db' }),
    spec({ name: 'mail' }),
    spec({ name: 'dns', constraints: { roles: ['server'] } })
  ]

  it('an empty, better node does not move running instances, under either scoring', () => {
    for (const scoring of ['binpack', 'spread'] as const) {
      const first = place({ specs, nodes, scoring })
      const bigger = node('z', { capacity: { cpuMillis: 64_000, memoryBytes: 256 * GiB }, tags: ['fast'] })
      const again = place({ specs: specs.map((s) => ({ ...s, affinity: [{ on: 'tag', value: 'fast', weight: 100 }] })), nodes: [...nodes, bigger], current: current(first), scoring })
      assert.deepEqual(current(again), current(first))
      assert.ok(again.slots.every((s) => s.status === 'placed' && s.cause === 'kept'))
      // Without the running instances, the same input would choose differently: the check above means something.
      const fresh = place({ specs: specs.map((s) => ({ ...s, affinity: [{ on: 'tag', value: 'fast', weight: 100 }] })), nodes: [...nodes, bigger], scoring })
      assert.notDeepEqual(current(fresh), current(first))
    }
  })

  it("a dead node's slots move, and only those", () => {
    const first = place({ specs, nodes })
    const dead = placedOn(first, 'db')
    const after = place({ specs, nodes: nodes.filter((n) => n.id !== dead), current: current(first) })
    for (const s of after.slots) {
      const was = first.slots.find((x) => x.workload === s.workload && x.index === s.index) as PlacedSlot
      assert.equal(s.status, 'placed')
      if (was.node === dead) assert.deepEqual([s.cause, s.from, s.node !== dead], ['node-lost', dead, true], `${s.workload}/${s.index}`)
      else assert.deepEqual([s.cause, s.node], ['kept', was.node], `${s.workload}/${s.index}`)
    }
  })

  it('draining moves everything off the node, within the constraints', () => {
    const pinned = [...specs, spec({ name: 'ab', kind: 'replicated', replicas: 2, constraints: { nodes: ['a', 'b'] } })]
    const first = place({ specs: pinned, nodes })
    const onA = first.slots.filter((s) => s.status === 'placed' && s.node === 'a')
    assert.ok(onA.length > 0)
    const drained = place({ specs: pinned, nodes: nodes.map((n) => n.id === 'a' ? { ...n, draining: true } : n), current: current(first) })
    assert.ok(!drained.slots.some((s) => s.status === 'placed' && s.node === 'a'))
    for (const s of onA) {
      const now = slotOf(drained, s.workload, s.index)
      if (s.workload === 'ab') {
        // Its constraint allows a and b; b already has its other replica, so it waits.
        assert.ok(now.status === 'pending' && now.reason === 'per-node-limit', JSON.stringify(now))
      } else {
        assert.ok(now.status === 'placed' && now.cause === 'node-draining', JSON.stringify(now))
      }
    }
  })

  it('a changed constraint moves only the slots it affects', () => {
    const tagged = ['a', 'b', 'c'].map((id) => node(id, { tags: id === 'c' ? [] : ['ssd'] }))
    const first = place({ specs, nodes: tagged, scoring: 'spread' })
    const onC = first.slots.filter((s) => s.status === 'placed' && s.node === 'c').map((s) => `${s.workload}/${s.index}`)
    assert.ok(onC.length > 0, 'spread puts something on c')
    const changed = specs.map((s) => ({ ...s, constraints: { tags: ['ssd'] } }))
    const after = place({ specs: changed, nodes: tagged, current: current(first), scoring: 'spread' })
    for (const s of after.slots) {
      const key = `${s.workload}/${s.index}`
      assert.equal(s.status, 'placed')
      assert.equal(s.cause, onC.includes(key) ? 'constraints-changed' : 'kept', key)
      assert.notEqual(s.node, 'c')
    }
  })

  it('a move request moves the slot if the target can take it, and is refused with a reason if not', () => {
    const first = place({ specs, nodes })
    const from = placedOn(first, 'db')
    const to = nodes.find((n) => n.id !== from)!.id
    const moved = place({ specs, nodes, current: current(first), moves: [{ workload: 'db', index: 0, to }] })
    assert.deepEqual([placedOn(moved, 'db'), (slotOf(moved, 'db') as PlacedSlot).cause, (slotOf(moved, 'db') as PlacedSlot).from], [to, 'moved', from])
    assert.ok(moved.slots.filter((s) => s.workload !== 'db').every((s) => s.status === 'placed' && s.cause === 'kept'))
    // Once it is there the request changes nothing.
    const settled = place({ specs, nodes, current: current(moved), moves: [{ workload: 'db', index: 0, to }] })
    assert.equal((slotOf(settled, 'db') as PlacedSlot).cause, 'kept')

    const refused = place({ specs, nodes, current: current(first), moves: [{ workload: 'db', index: 0, to: 'nowhere' }, { workload: 'nope', index: 0, to }, { workload: 'dns', index: 0, to: 'a' }].filter((m) => m.workload !== 'dns' || placedOn(first, 'dns') !== 'a') })
    assert.equal(placedOn(refused, 'db'), from)
    assert.deepEqual(refused.refusedMoves.map((r) => [r.move.workload, r.reason]), [['nope', 'no-such-slot'], ['db', 'unknown-node']])
    const full = place({
      specs: [spec({ name: 'x' }), spec({ name: 'hog', resources: { cpuMillis: 8_000, memoryBytes: GiB } })],
      nodes: [node('a'), node('b')],
      current: [{ workload: 'x', index: 0, node: 'a' }, { workload: 'hog', index: 0, node: 'b' }],
      moves: [{ workload: 'x', index: 0, to: 'b' }]
    })
    assert.deepEqual(full.refusedMoves.map((r) => r.reason), ['insufficient-capacity'])
    assert.equal(placedOn(full, 'x'), 'a')
  })

  it('reports duplicate and malformed input instead of throwing, and keeps one copy of a slot seen twice', () => {
    const web = spec({ name: 'web' })
    const p = place({
      specs: [web, spec({ name: 'dup' }), spec({ name: 'dup', kind: 'system' })],
      nodes: [node('a'), node('b'), node('a'), { id: 'bad', name: 'bad', role: 'server', tags: [], capacity: { cpuMillis: -1, memoryBytes: 0 } }, node('c')],
      current: [{ workload: 'web', index: 0, node: 'c' }, { workload: 'web', index: 0, node: 'b' }]
    })
    assert.deepEqual(p.problems.map((x) => [x.input, x.key, x.reason]), [['current', 'web/0', 'duplicate'], ['node', 'a', 'duplicate'], ['node', 'bad', 'invalid'], ['spec', 'dup', 'duplicate']])
    assert.deepEqual(p.slots.map((s) => [s.workload, (s as PlacedSlot).node, (s as PlacedSlot).cause]), [['web', 'b', 'kept']])
  })
})

describe('placement: place, a slot goes back to its state', () => {
  const db = spec({ name: 'db', stateDir: 'db' })
  const nodes = [node('a'), node('b'), node('c')]

  it('a slot placed anew goes to the node with its newest state, whatever the scores say', () => {
    const free = place({ specs: [db], nodes })
    const home = nodes.map((n) => n.id).find((id) => id !== placedOn(free, 'db'))!
    const p = place({ specs: [db], nodes, stateHomes: [{ workload: 'db', index: 0, node: home }] })
    assert.equal(placedOn(p, 'db'), home)
    // A home left from an earlier spec with a state dir steers nothing once the spec has none.
    const plain = spec({ name: 'db' })
    assert.equal(placedOn(place({ specs: [plain], nodes, stateHomes: [{ workload: 'db', index: 0, node: home }] }), 'db'), placedOn(free, 'db'))
    // Two views that differ in the others still agree on it: the deadlock of each placing it on the other.
    assert.equal(placedOn(place({ specs: [db], nodes: nodes.filter((n) => n.id === home || n.id === 'a'), stateHomes: [{ workload: 'db', index: 0, node: home }] }), 'db'), home)
  })

  it('a home that is gone, draining, full or excluded by the constraints is passed over; a running instance stays', () => {
    const homes = [{ workload: 'db', index: 0, node: 'c' }]
    assert.notEqual(placedOn(place({ specs: [db], nodes: nodes.filter((n) => n.id !== 'c'), stateHomes: homes }), 'db'), 'c')
    assert.notEqual(placedOn(place({ specs: [db], nodes: [node('a'), node('b'), node('c', { draining: true })], stateHomes: homes }), 'db'), 'c')
    assert.notEqual(placedOn(place({ specs: [db], nodes: [node('a'), node('b'), node('c', { capacity: { cpuMillis: 500, memoryBytes: GiB } })], stateHomes: homes }), 'db'), 'c')
    assert.notEqual(placedOn(place({ specs: [spec({ name: 'db', stateDir: 'db', constraints: { nodes: ['a', 'b'] } })], nodes, stateHomes: homes }), 'db'), 'c')
    const kept = place({ specs: [db], nodes, current: [{ workload: 'db', index: 0, node: 'a' }], stateHomes: homes })
    assert.equal(placedOn(kept, 'db'), 'a', 'stability: a running instance is not moved to its state')
  })

  it('bad or doubled homes are reported, and the lower id is kept', () => {
    const p = place({ specs: [db], nodes, stateHomes: [{ workload: 'db', index: 0, node: 'c' }, { workload: 'db', index: 0, node: 'b' }, { workload: 'db', index: -1, node: 'a' }] })
    assert.equal(placedOn(p, 'db'), 'b')
    assert.deepEqual(p.problems.map((x) => [x.input, x.reason]), [['state-home', 'invalid'], ['state-home', 'duplicate']])
  })
})
