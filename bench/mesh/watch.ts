/**
 * "Every agent sees X": each agent is polled on its own loop (so one slow answer does not delay the others'
 * samples) until its member list satisfies the predicate. The figure is the last agent's time.
 */
import type { AgentDriver, AgentHandle, MemberView } from './driver.ts'
import { pollUntil } from './poll.ts'

export interface WatchResult {
  /** When the last agent first satisfied the predicate (performance.now() ms), or undefined on a timeout. */
  lastMs: number | undefined
  firstMs: number | undefined
  /** Agents that never did, by name. */
  missing: string[]
}

export async function watchAll (driver: AgentDriver, agents: readonly AgentHandle[], sees: (members: MemberView[]) => boolean, limitMs: number): Promise<WatchResult> {
  const times = await Promise.all(agents.map(async (a) => await pollUntil(async () => sees(await driver.members(a)), limitMs)))
  const done = times.filter((t): t is number => t !== undefined)
  return {
    lastMs: done.length === agents.length ? Math.max(...done) : undefined,
    firstMs: done.length > 0 ? Math.min(...done) : undefined,
    missing: agents.filter((_, i) => times[i] === undefined).map((a) => a.name)
  }
}

/** Every one of `names` is alive in the list. */
export const allAlive = (names: readonly string[]) => (members: MemberView[]): boolean =>
  names.every((n) => members.some((m) => m.name === n && m.state === 'alive'))

/** `name` is dead (or gone from the list altogether, which some agents do after reaping). */
export const isDead = (name: string) => (members: MemberView[]): boolean => {
  const m = members.find((x) => x.name === name)
  return m === undefined || m.state === 'dead'
}
