import type { Rng } from '@dreammesh/protocols'
import type { PlacementWorld } from './placement-world.js'

/**
 * The faults of a placement soak seed's safety phase, all drawn from the seed: partitions (one node isolated,
 * the cluster split in two, or a one-way cut), crashes (kill -9 of an agent, or loss of a whole machine, each
 * restarted after a while), and pauses of an agent up to the lease config's `maxPauseMs` (never two at once
 * on one node, so no stall is longer than the bound). Half of the faults aim at the machine that runs the
 * most, where the leases are. Clock drift is set when the machines are made (placement-run.ts).
 */

export const PLACEMENT_FAULT_KINDS = ['partition-isolate', 'partition-split', 'partition-one-way', 'crash-process', 'crash-machine', 'pause'] as const
export type PlacementFaultKind = typeof PLACEMENT_FAULT_KINDS[number]
export type PlacementFaultCounts = Record<PlacementFaultKind, number>

export function noPlacementFaults (): PlacementFaultCounts {
  return Object.fromEntries(PLACEMENT_FAULT_KINDS.map((k) => [k, 0])) as PlacementFaultCounts
}

/**
 * `default`: the soak's random mix. `isolate-holder`: again and again the busiest machine is cut off from
 * everyone, just after one of its renewals, for a lease and a second (its leases run out and move), then
 * heals for a second: the plainest threat to a lease, used to make the no-drift-margin variant's overlap
 * windows come up often.
 */
export type PlacementFaultShape = 'default' | 'isolate-holder'

export interface PlacementFaultPlan {
  /** True ms the faults may start. */
  fromMs: number
  /** True ms the faults stop: every cut heals, pauses end and crashed machines start again. */
  toMs: number
  maxPauseMs: number
  /** The lease length, which the isolate-holder cuts must outlast. */
  leaseMs: number
  shape: PlacementFaultShape
}

/** Restarts come after this long, in ms: a quick one (a supervisor restarting the daemon) or a slow one (a reboot). */
const QUICK_RESTART_MS = [200, 1_500] as const
const SLOW_RESTART_MS = [2_000, 10_000] as const
const QUICK_RESTART_SHARE = 0.3
/** The isolate-holder shape: each cut outlasts the lease by this much (detection, and a retry), in ms. */
const ISOLATE_BEYOND_LEASE_MS = 1_000
/** ... and the next cut starts this long after the last one healed. */
const ISOLATE_GAP_MS = 1_000
/** A random partition lasts this long, in ms. */
const PARTITION_MS = [1_000, 12_000] as const

/** Schedules the faults of `plan` on `world`; counts them as they happen. Returns the function that ends them. */
export function schedulePlacementFaults (world: PlacementWorld, rng: Rng, plan: PlacementFaultPlan, counts: PlacementFaultCounts): () => void {
  const span = plan.toMs - plan.fromMs
  const n = world.machines.length
  const at = (): number => plan.fromMs + rng.float() * span * 0.85
  const target = (): number => rng.float() < 0.5 ? world.busiest() : rng.int(n)
  const up = (i: number): boolean => world.machines[i].agent !== undefined
  const anyUp = (prefer: number): number | undefined => {
    if (up(prefer)) return prefer
    const live = world.machines.filter((m) => m.agent !== undefined).map((m) => m.index)
    return live.length === 0 ? undefined : live[rng.int(live.length)]
  }
  const restarts = new Set<number>()

  if (plan.shape === 'isolate-holder') {
    // Cut the busiest machine off just after one of its renewals (as lease-soak.spec.ts's isolated holder):
    // its leases then run their whole length, and its contenders, told by the voters when those run out,
    // ask again right at the end.
    const isolateMs = plan.leaseMs + ISOLATE_BEYOND_LEASE_MS
    let armed: number | undefined
    const isolate = (who: number): void => {
      armed = undefined
      const heal = world.partition([who], undefined, false)
      counts['partition-isolate']++
      world.queue.at(Math.min(plan.toMs, world.nowMs + isolateMs), heal)
    }
    world.onLeaseEvent = (node, e) => { if (e.type === 'renewed' && node === armed) isolate(node) }
    for (let t = plan.fromMs; t + isolateMs < plan.toMs; t += isolateMs + ISOLATE_GAP_MS) {
      world.queue.at(t, () => {
        const who = world.busiest()
        armed = who
        // A machine that renews nothing is cut off anyway, a renewal period later.
        world.queue.at(world.nowMs + world.options.leaseConfig.renewEveryMs, () => { if (armed === who) isolate(who) })
      })
    }
  } else {
    const partitions = 1 + rng.int(3)
    for (let k = 0; k < partitions; k++) {
      const start = at()
      const lengthMs = between(rng, PARTITION_MS)
      world.queue.at(start, () => {
        const roll = rng.float()
        let heal: () => void
        if (roll < 0.45) {
          heal = world.partition([target()], undefined, false)
          counts['partition-isolate']++
        } else if (roll < 0.8) {
          const side = world.machines.filter(() => rng.float() < 0.5).map((m) => m.index)
          if (side.length === 0 || side.length === n) side.splice(0, side.length, rng.int(n))
          heal = world.partition(side, world.machines.map((m) => m.index).filter((i) => !side.includes(i)), false)
          counts['partition-split']++
        } else {
          // One way: the node's sends are dropped, it still hears everyone (a broken transmit path).
          heal = world.partition([target()], undefined, true)
          counts['partition-one-way']++
        }
        world.queue.at(Math.min(plan.toMs, world.nowMs + lengthMs), heal)
      })
    }
  }

  const crashes = 1 + rng.int(2)
  for (let k = 0; k < crashes; k++) {
    const machineLoss = rng.float() < 0.5
    const downMs = rng.float() < QUICK_RESTART_SHARE ? between(rng, QUICK_RESTART_MS) : between(rng, SLOW_RESTART_MS)
    world.queue.at(at(), () => {
      const victim = anyUp(target())
      if (victim === undefined) return
      if (machineLoss) { world.loseMachine(victim); counts['crash-machine']++ } else { world.crashAgent(victim); counts['crash-process']++ }
      restarts.add(victim)
      const back = world.nowMs + downMs
      if (back < plan.toMs) world.queue.at(back, () => { restarts.delete(victim); world.boot(victim) })
    })
  }

  const pauses = 2 + rng.int(5)
  for (let k = 0; k < pauses; k++) {
    const ms = rng.float() * plan.maxPauseMs
    world.queue.at(at(), () => {
      const who = anyUp(target())
      if (who === undefined) return
      if (world.pause(who, ms)) { counts.pause++; return }
      const other = anyUp(rng.int(n))
      if (other !== undefined && world.pause(other, ms)) counts.pause++
    })
  }

  return () => {
    world.healAll()
    world.resumeAll()
    for (const m of world.machines) if (m.agent === undefined) world.boot(m.index)
    restarts.clear()
  }
}

function between (rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + rng.float() * (hi - lo)
}
