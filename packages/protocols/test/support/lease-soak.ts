import type { NodeId } from '../../src/core/ids.js'
import type { LeaseConfig } from '../../src/lease/config.js'
import { LeaseNet } from './lease-net.js'

/**
 * One randomized soak run of a small lease cluster: loss, duplication, reordering, partitions, clock drift
 * within ±1,000 ppm, pauses, crashes and restarts, handoffs, releases and voter-list changes, all drawn
 * from `seed`. LeaseNet
 * checks the safety invariant after every step. `soak(seed, config, durationMs)` replays one run exactly.
 */

/** The last run's world, for debugging a failing seed. */
export let lastNet: LeaseNet | undefined

const RESOURCES = ['w/web/0', 'input/focus']
const DRIFT_PPM = 1_000

export interface SoakResult { violations: string[], lateKills: string[], acquisitions: number, handoffs: number, voterChanges: number }

export function soak (seed: number, config: LeaseConfig, durationMs: number, worldPauseMs = config.maxPauseMs, driftExtremes = false): SoakResult {
  const voterCount = seed % 2 === 0 ? 3 : 5
  const voters = ['v1', 'v2', 'v3', 'v4', 'v5'].slice(0, voterCount)
  const ids: NodeId[] = [...voters, 'c1', 'c2']
  const net = new LeaseNet({
    seed,
    ids,
    voters,
    config,
    driftPpm: DRIFT_PPM,
    driftExtremes,
    minDelayMs: 0.05,
    maxDelayMs: 8,
    lossRate: 0.05,
    dupRate: 0.05,
    maxPersistMs: 1
  })
  const rng = net.rng.fork('faults')
  const pick = <T>(list: readonly T[]): T => list[rng.int(list.length)]
  const contenders = ids.filter(() => rng.float() < 0.6)
  if (contenders.length < 2) contenders.push('c1', 'v1')
  for (const id of contenders) for (const r of RESOURCES) net.command(id, { type: 'acquire', resource: r })

  let partitionUntil = 0
  let side = new Set<NodeId>()
  net.blocked = (a, b) => net.trueMs < partitionUntil && side.has(a) !== side.has(b)
  const stepMs = config.leaseMs / 8
  for (let t = stepMs; t < durationMs; t += stepMs * (0.5 + rng.float())) {
    net.at(t, () => {
      const roll = rng.float()
      const live = ids.filter((id) => !net.nodes.get(id)!.crashed)
      if (roll < 0.25) {
        // A partition of a random side, for up to two leases.
        side = new Set(ids.filter(() => rng.float() < 0.5))
        partitionUntil = net.trueMs + rng.float() * 2 * config.leaseMs
      } else if (roll < 0.45) {
        net.pause(pick(live), rng.float() * worldPauseMs)
      } else if (roll < 0.55) {
        const id = pick(live)
        net.crash(id)
        net.at(net.trueMs + rng.float() * config.leaseMs, () => {
          net.restart(id)
          for (const r of RESOURCES) if (contenders.includes(id)) net.command(id, { type: 'acquire', resource: r })
        })
      } else if (roll < 0.8) {
        // A handoff: someone asks the node that believes it holds, which hands off a little later.
        const r = pick(RESOURCES)
        const holder = live.find((id) => net.believes(id, r))
        const next = pick(live)
        if (holder === undefined || next === holder) return
        net.command(next, { type: 'ask-handoff', resource: r, holder })
        net.at(net.trueMs + rng.float() * config.leaseMs / 4, () => {
          if (!net.nodes.get(holder)!.crashed) net.command(holder, { type: 'handoff', resource: r, to: next })
        })
      } else if (roll < 0.83) {
        // The desired state's voter list changes (3 to 5 of the nodes); the machines walk there one at a time.
        const target = ids.filter(() => rng.float() < 0.6).slice(0, 5)
        if (target.length >= 3) net.command(pick(live), { type: 'set-voters', voters: target })
      } else if (roll < 0.9) {
        const id = pick(live)
        const r = pick(RESOURCES)
        net.command(id, { type: 'release', resource: r })
        net.at(net.trueMs + rng.float() * config.leaseMs, () => { if (!net.nodes.get(id)!.crashed) net.command(id, { type: 'acquire', resource: r }) })
      }
    })
  }
  net.runUntil(durationMs)
  lastNet = net
  return {
    violations: net.violations,
    lateKills: net.lateKills,
    acquisitions: net.eventsOf(undefined, 'acquired').length,
    handoffs: net.eventsOf(undefined, 'acquired').filter((e) => e.event.type === 'acquired' && e.event.via === 'handoff').length,
    voterChanges: Math.max(0, ...ids.map((id) => net.get(id).voters().version - 1))
  }
}

export function soakMany (seeds: number, config: LeaseConfig, durationMs: number, firstSeed = 1, worldPauseMs = config.maxPauseMs, driftExtremes = false): SoakResult {
  const total: SoakResult = { violations: [], lateKills: [], acquisitions: 0, handoffs: 0, voterChanges: 0 }
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const r = soak(seed, config, durationMs, worldPauseMs, driftExtremes)
    total.violations.push(...r.violations)
    total.lateKills.push(...r.lateKills)
    total.acquisitions += r.acquisitions
    total.handoffs += r.handoffs
    total.voterChanges += r.voterChanges
  }
  return total
}

