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

/** Every one of `names` is alive in the list (a suspect does not count). */
export const allAlive = (names: readonly string[]) => (members: MemberView[]): boolean =>
  names.every((n) => members.some((m) => m.name === n && m.state === 'alive'))

/**
 * Every one of `names` is up in the list: alive or suspect. This is what serf can show: memberlist tells
 * serf of joins, leaves and deaths, never of a suspicion (state.go's suspectNode notifies no delegate), so
 * `serf members` lists a suspect as alive. SWIM itself treats a suspect as a member until it is declared
 * dead. The join figure uses this on both sides, so that both are timed by the same rule; the stricter
 * alive-only figure, which only dreammesh can show, is noted beside it.
 */
export const allUp = (names: readonly string[]) => (members: MemberView[]): boolean =>
  names.every((n) => members.some((m) => m.name === n && (m.state === 'alive' || m.state === 'suspect')))

/** `name` is dead (or gone from the list altogether, which some agents do after reaping). */
export const isDead = (name: string) => (members: MemberView[]): boolean => {
  const m = members.find((x) => x.name === name)
  return m === undefined || m.state === 'dead'
}
