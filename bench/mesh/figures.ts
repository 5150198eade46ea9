/**
 * The five figures of the issue, measured on one running cluster, in this order: join convergence, idle
 * cost (CPU, RSS, bytes), crash detection, machine-loss detection. The idle window comes before the faults so
 * it measures a healthy cluster, after a warm-up so that it measures a settled one, and no polling runs
 * during it (polls cost the agents CPU too).
 */
import type { Lan } from '../../test/netns/index.ts'
import type { AgentDriver, AgentHandle } from './driver.ts'
import { cpuSeconds, rssBytes } from './proc.ts'
import { pollUntil, sleep } from './poll.ts'
import { allAlive, allUp, isDead, watchAll } from './watch.ts'

export interface Bounds {
  /** How long agents may take to answer at all, and the cluster to converge, in ms. */
  joinLimitMs: number
  /** How long a failure may take to be known to all survivors before it counts as missed, in ms. */
  detectLimitMs: number
  /** The idle window for CPU and traffic, in ms (60 s by default, shorter in --quick). */
  idleWindowMs: number
  /**
   * How long after the join the idle window starts, in ms. Start-up is not idle: for a while after it joins,
   * a node compiles its hot code and publishes its first resource records, and its CPU average still
   * remembers the start. Both sides get the same wait.
   */
  warmupMs: number
  /** A pause between faults, so the second does not start while the first is still being gossiped, in ms. */
  settleMs: number
  /**
   * Machine losses to time, one after another on the same machine (its link back and its agent started
   * again in between); the figure is their median. One sample lands anywhere in the probe order, between
   * about 1.6 and 2.3 s for dreammesh at N=6, which is too wide to hold a prediction to 25 % of it.
   */
  lossRuns: number
}

export interface Figures {
  joinMs: number | undefined
  /** Mean CPU of one agent over the idle window, as a percentage of one core. */
  idleCpuPercent: number
  /** The largest RSS of any agent, in MB. */
  rssMaxMb: number
  /** Mean bytes sent per agent per second over the idle window. */
  bytesPerSec: number
  crashMs: number | undefined
  /** The median of `lossRuns` machine losses (each sample is listed in `notes`). */
  machineLossMs: number | undefined
  notes: string[]
}

export async function startCluster (driver: AgentDriver, lan: Lan, scratchDir: string, bounds: Bounds): Promise<{ agents: AgentHandle[], readyAtMs: number }> {
  // The first agent starts alone, so the others have someone to join; they then start all at once.
  const first = await driver.start(lan, 0, [], scratchDir)
  const agents = [first]
  if (await pollUntil(async () => await driver.ready(first), bounds.joinLimitMs) === undefined) throw new Error(`${driver.name}: ${first.name} never became ready`)
  for (let i = 1; i < lan.nodes.length; i++) agents.push(await driver.start(lan, i, [lan.nodes[0]], scratchDir))
  const readyTimes = await Promise.all(agents.map(async (a) => await pollUntil(async () => await driver.ready(a), bounds.joinLimitMs)))
  if (readyTimes.some((t) => t === undefined)) throw new Error(`${driver.name}: agents never became ready: ${agents.filter((_, i) => readyTimes[i] === undefined).map((a) => a.name).join(', ')}`)
  return { agents, readyAtMs: Math.max(...readyTimes as number[]) }
}

/**
 * Measures on a started cluster. A machine lost and brought back is started again with `driver.start`, and
 * its new handle is pushed onto `agents`, so that the caller's teardown stops it too.
 */
export async function measureFigures (driver: AgentDriver, lan: Lan, agents: AgentHandle[], readyAtMs: number, bounds: Bounds, scratchDir: string): Promise<Figures> {
  const notes: string[] = []
  const names = agents.map((a) => a.name)

  const joined = await watchAll(driver, agents, allUp(names), bounds.joinLimitMs)
  // Agents that join while starting may already see everyone by the time the last one answers: that is 0.
  const joinMs = joined.lastMs === undefined ? undefined : Math.max(0, joined.lastMs - readyAtMs)
  if (joinMs === undefined) notes.push(`join: never converged at ${joined.missing.join(', ')}`)
  // The same, with a suspect not counting as seen (serf cannot tell the two apart; see allUp).
  const strict = await watchAll(driver, agents, allAlive(names), bounds.joinLimitMs)
  if (strict.lastMs !== undefined) notes.push(`join, every member alive (no suspect): ${(Math.max(0, strict.lastMs - readyAtMs) / 1000).toFixed(2)} s after ready`)

  await sleep(Math.max(bounds.settleMs, bounds.warmupMs))
  const cpu0 = agents.map((a) => cpuSeconds(a.pid))
  const bytes0 = agents.map((a) => lan.bytes(a.index).tx)
  const t0 = performance.now()
  await sleep(bounds.idleWindowMs)
  const seconds = (performance.now() - t0) / 1000
  const cpu = agents.map((a, i) => cpuSeconds(a.pid) - cpu0[i])
  const sent = agents.map((a, i) => lan.bytes(a.index).tx - bytes0[i])
  const rss = agents.map((a) => rssBytes(a.pid))

  // Crash: the agent alone dies (kill -9); its machine stays up, so its kernel still answers (RST, ICMP).
  const crashVictim = agents[agents.length - 1]
  let survivors = agents.slice(0, -1)
  driver.stop(crashVictim)
  const crashedAt = performance.now()
  const crash = await watchAll(driver, survivors, isDead(crashVictim.name), bounds.detectLimitMs)
  if (crash.lastMs === undefined) notes.push(`crash: not seen dead by ${crash.missing.join(', ')}`)

  // Machine loss: link down first, then every process in the namespace killed, so nothing closes cleanly.
  // Then the link comes back and the agent starts again (same data dir), and once everyone sees it alive
  // the machine is lost again: `lossRuns` samples on the same cluster.
  let lossVictim = survivors[survivors.length - 1]
  survivors = survivors.slice(0, -1)
  const lossSamples: number[] = []
  for (let run = 0; run < bounds.lossRuns; run++) {
    await sleep(bounds.settleMs)
    const lostAt = performance.now()
    await lan.linkDown(lossVictim.index)
    const loss = await watchAll(driver, survivors, isDead(lossVictim.name), bounds.detectLimitMs)
    if (loss.lastMs === undefined) { notes.push(`machine loss ${run + 1}: not seen dead by ${loss.missing.join(', ')}`); break }
    lossSamples.push(loss.lastMs - lostAt)
    if (run + 1 === bounds.lossRuns) break
    lan.linkUp(lossVictim.index)
    lossVictim = await driver.start(lan, lossVictim.index, [lan.nodes[0]], scratchDir)
    agents.push(lossVictim)
    const back = [...survivors, lossVictim]
    const rejoined = await watchAll(driver, back, allAlive(back.map((a) => a.name)), bounds.joinLimitMs)
    if (rejoined.lastMs === undefined) { notes.push(`machine loss ${run + 1}: the machine never rejoined (${rejoined.missing.join(', ')})`); break }
  }
  if (lossSamples.length > 1) notes.push(`machine loss samples: ${lossSamples.map((x) => (x / 1000).toFixed(2)).join(', ')} s`)

  return {
    joinMs,
    idleCpuPercent: mean(cpu) / seconds * 100,
    rssMaxMb: Math.max(...rss) / 1e6,
    bytesPerSec: mean(sent) / seconds,
    crashMs: crash.lastMs === undefined ? undefined : crash.lastMs - crashedAt,
    machineLossMs: lossSamples.length === bounds.lossRuns ? median(lossSamples) : undefined,
    notes
  }
}

function median (xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function mean (xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}
