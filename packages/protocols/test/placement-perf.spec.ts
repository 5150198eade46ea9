import assert from 'node:assert/strict'
import { Xoshiro128 } from '../src/core/rng.js'
import { assignmentsOf, placementChanges } from '../src/placement/diff.js'
import { place } from '../src/placement/place.js'
import type { WorkloadSpec } from '../src/placement/spec.js'
import type { PlacementInput, PlacementNode } from '../src/placement/types.js'
import { validateWorkloadSpec } from '../src/placement/validate.js'

/**
 * The benchmark shape: 1,000 workloads on 100 nodes, 5 of them servers. It asserts only
 * correctness; the cost per decision is printed, never asserted (no wall-clock assertions).
 */
const GiB = 2 ** 30

function cluster (): PlacementInput {
  const rng = new Xoshiro128(5)
  const nodes: PlacementNode[] = Array.from({ length: 100 }, (_, i) => i < 5
    ? { id: `server-${i}`, name: `server-${i}`, role: 'server', tags: ['kvm', 'ssd'], capacity: { cpuMillis: 64_000, memoryBytes: 256 * GiB } }
    : { id: `client-${i}`, name: `client-${i}`, role: 'client', tags: i % 3 === 0 ? ['display'] : [], capacity: { cpuMillis: 8_000, memoryBytes: 16 * GiB } })
  const specs: WorkloadSpec[] = Array.from({ length: 1_000 }, (_, i) => {
    const kind = i % 50 === 0 ? 'system' : i % 10 === 0 ? 'replicated' : 'service'
    const v = validateWorkloadSpec({
      name: `w${i}`,
      kind,
      command: 'run',
      ...(kind === 'replicated' ? { replicas: 3 } : {}),
      ...(i % 4 === 0 ? { constraints: { roles: ['server'] } } : i % 7 === 0 ? { constraints: { tags: ['display'] } } : {}),
      ...(i % 5 === 0 ? { affinity: [{ on: 'workload', value: `w${i - 1}`, weight: 50 }] } : {}),
      resources: { cpuMillis: 10 * (1 + rng.int(20)), memoryBytes: 2 ** 24 * (1 + rng.int(16)) }
    })
    if (!v.ok) assert.fail(v.problems.join('; '))
    return v.spec
  })
  return { specs, nodes }
}

describe('placement: 1,000 workloads on 100 nodes', () => {
  it('places every slot, and a node failure moves only its slots', () => {
    const input = cluster()
    const rounds = 5
    let t0 = performance.now()
    let p = place(input)
    const coldMs = performance.now() - t0
    t0 = performance.now()
    for (let i = 1; i < rounds; i++) p = place(input)
    const freshMs = (performance.now() - t0) / (rounds - 1)
    const slots = p.slots.length
    assert.ok(p.slots.every((s) => s.status === 'placed'), 'everything fits')
    assert.ok(slots > 1_000)

    const lost = 'server-2'
    const survivors = { ...input, nodes: input.nodes.filter((n) => n.id !== lost), current: assignmentsOf(p) }
    t0 = performance.now()
    let after = place(survivors)
    for (let i = 1; i < rounds; i++) after = place(survivors)
    const failMs = (performance.now() - t0) / rounds
    const changes = placementChanges(assignmentsOf(p), assignmentsOf(after))
    const wasOnLost = p.slots.filter((s) => s.status === 'placed' && s.node === lost).length
    const systemOnLost = p.slots.filter((s) => s.status === 'placed' && s.node === lost && s.kind === 'system').length
    assert.equal(changes.moves.length + changes.stops.length, wasOnLost)
    assert.equal(changes.stops.length, systemOnLost, 'only the system slots of the lost node stop')
    assert.equal(changes.starts.length, 0)

    console.log(`      place(): ${slots} slots on ${input.nodes.length} nodes: from nothing ${freshMs.toFixed(1)} ms (the first, cold, ${coldMs.toFixed(1)} ms), ` +
      `after a server failure ${failMs.toFixed(1)} ms (${(failMs * 1_000 / slots).toFixed(2)} µs per slot); ` +
      `${changes.moves.length} moved`)
  })
})
