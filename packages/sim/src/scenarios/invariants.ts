import { minSuspicionMs, type MembershipConfig, type MembershipEvent } from '@dreammesh/protocols'
import type { MembershipCluster } from './membership-cluster.js'

/** A broken promise of the membership protocol, found during a run. */
export interface Violation {
  kind: 'completeness' | 'accuracy' | 'convergence' | 'refutation'
  atMs: number
  observer?: string
  subject?: string
  detail: string
}

/**
 * The worst-case time for every live member to declare a crashed member dead, from the preset's arithmetic
 * (docs/membership-arithmetic.md): two p99 waits for a probe (ln 100 + 1 probe periods each), an
 * unconfirmed suspicion (β × the minimum), and dissemination (log_{f+1} N + ln N / f gossip rounds).
 * The benchmark holds the p99 to the targets; this bound must hold for every single crash.
 */
export function completenessBoundMs (config: MembershipConfig, n: number): number {
  const probeWait = (Math.log(100) + 1) * config.probeIntervalMs
  const minMs = minSuspicionMs(config, n)
  const rounds = Math.log(n) / Math.log(config.gossipFanout + 1) + Math.log(n) / config.gossipFanout
  return Math.ceil(2 * probeWait + config.suspicionMaxTimeoutMult * minMs + rounds * config.gossipIntervalMs)
}

/**
 * The longest pause a member can take and still refute in time (docs/membership-arithmetic.md): the earliest
 * death comes one probe period plus the minimum suspicion after the pause starts, and the refutation needs a
 * few gossip rounds to arrive.
 */
export function pauseToleranceMs (config: MembershipConfig, n: number): number {
  const rounds = Math.log(n) / Math.log(config.gossipFanout + 1)
  return config.probeIntervalMs + minSuspicionMs(config, n) - Math.ceil(rounds) * config.gossipIntervalMs
}

/** How long after a fault a verdict may still be blamed on it (the longest suspicion, plus a probe). */
export function faultShadowMs (config: MembershipConfig, n: number): number {
  return config.suspicionMaxTimeoutMult * minSuspicionMs(config, n) + 2 * config.probeIntervalMs
}

/** A crash, and the verdicts on it. Its observers are the members running when it happened. */
export interface Crash {
  index: number
  atMs: number
  observers: number[]
  deaths: Map<number, number>
  firstMs: number | undefined
}

/**
 * Watches a run and checks SWIM's promises on every event: completeness (a crashed member is declared dead
 * everywhere within the bound), accuracy (no reachable live member is declared dead once faults stop),
 * refutation (a live suspect that was neither cut off nor paused refutes before its suspicion ends), and,
 * when asked, convergence. It also gathers the figures the run reports.
 */
export class InvariantChecker {
  readonly violations: Violation[] = []
  readonly crashes: Crash[] = []
  /** Verdicts of death against members that were neither crashed nor cut off. */
  falsePositives = 0
  /**
   * Per member, the global-time intervals [from, until) in which it counts as cut off (not reachable), the
   * fault's shadow included. Verdicts within one are not blamed; verdicts before or after it are.
   */
  private readonly shadows: Interval[][] = []
  /** Per member, the intervals in which its failure to refute is excused (it paused longer than tolerable). */
  private readonly excused: Interval[][] = []
  private livenessFromMs = Infinity
  private readonly boundMs: number
  private readonly shadowMs: number
  private readonly pauseTolerance: number

  constructor (private readonly cluster: MembershipCluster, config: MembershipConfig) {
    this.boundMs = completenessBoundMs(config, cluster.size)
    this.shadowMs = faultShadowMs(config, cluster.size)
    this.pauseTolerance = pauseToleranceMs(config, cluster.size)
    cluster.onEvent((observer, event, atMs) => { this.onEvent(observer, event, atMs) })
  }

  get completenessBound (): number { return this.boundMs }

  /** From now on faults are off: any death of a reachable member is an accuracy violation. */
  startLiveness (): void {
    this.livenessFromMs = this.cluster.nowMs
  }

  recordCrash (index: number): void {
    // A member that joins later may never have known the crashed one: only those running now must judge it.
    const observers = this.cluster.running().filter((i) => i !== index)
    this.crashes.push({ index, atMs: this.cluster.nowMs, observers, deaths: new Map(), firstMs: undefined })
  }

  /**
   * Member `index` is cut off from now (or `fromMs`) until `untilMs`: verdicts by or about it from then until
   * the end of the fault's shadow are not blamed, and it is not held to completeness for crashes whose
   * bound overlaps that interval. Verdicts and crashes before the interval are judged as usual.
   */
  shade (index: number, untilMs: number, fromMs = this.cluster.nowMs): void {
    addInterval(this.shadows, index, fromMs, untilMs + this.shadowMs)
  }

  /**
   * Member `index` pauses for `pauseMs` from now. A pause beyond the arithmetic's tolerance may end in a
   * death verdict: that still counts as a false positive, but not as a broken refutation promise.
   */
  paused (index: number, pauseMs: number): void {
    if (pauseMs <= this.pauseTolerance) return
    addInterval(this.excused, index, this.cluster.nowMs, this.cluster.nowMs + pauseMs + this.shadowMs)
  }

  /** Checks completeness for crashes whose bound has passed. Call at the end of each phase. */
  checkCompleteness (): void {
    const now = this.cluster.nowMs
    for (const c of this.crashes) {
      if (c.atMs + this.boundMs > now || this.cluster.isRunning(c.index)) continue
      for (const observer of c.observers) {
        if (!this.cluster.isRunning(observer)) continue
        const at = c.deaths.get(observer)
        // Excused only if the observer was cut off at some time within the crash's bound.
        if (overlaps(this.shadows[observer], c.atMs, c.atMs + this.boundMs)) continue
        if (at === undefined || at - c.atMs > this.boundMs) {
          this.add({
            kind: 'completeness',
            atMs: c.atMs + this.boundMs,
            observer: this.cluster.members[observer].id,
            subject: this.cluster.members[c.index].id,
            detail: at === undefined
              ? `crashed member not declared dead within ${this.boundMs} ms`
              : `declared dead after ${Math.round(at - c.atMs)} ms, bound ${this.boundMs} ms`
          })
        }
      }
    }
  }

  /** Convergence: every running member's view equals the truth by `deadlineMs`. */
  convergenceViolation (deadlineMs: number, detail: string): void {
    this.add({ kind: 'convergence', atMs: deadlineMs, detail })
  }

  private onEvent (observer: number, event: MembershipEvent, atMs: number): void {
    if (event.type !== 'dead') return
    const subject = this.cluster.network.indexOf(event.member.id)
    if (subject < 0) return
    const crash = this.lastCrashOf(subject)
    if (crash !== undefined && !this.cluster.isRunning(subject)) {
      if (!crash.deaths.has(observer)) {
        crash.deaths.set(observer, atMs)
        crash.firstMs ??= atMs
      }
      return
    }
    if (!this.cluster.isRunning(subject)) return
    const shaded = contains(this.shadows[subject], atMs) || contains(this.shadows[observer], atMs)
    if (shaded) return
    this.falsePositives++
    const who = { observer: this.cluster.members[observer].id, subject: event.member.id }
    if (event.from === who.observer && !contains(this.excused[subject], atMs)) {
      this.add({ kind: 'refutation', atMs, ...who, detail: 'a reachable live suspect did not refute before its suspicion timed out' })
    }
    if (atMs >= this.livenessFromMs) {
      this.add({ kind: 'accuracy', atMs, ...who, detail: 'a reachable live member was declared dead after faults stopped' })
    }
  }

  private lastCrashOf (index: number): Crash | undefined {
    for (let i = this.crashes.length - 1; i >= 0; i--) if (this.crashes[i].index === index) return this.crashes[i]
    return undefined
  }

  private add (v: Violation): void {
    // Keep the report readable: the first 100 violations say everything.
    if (this.violations.length < 100) this.violations.push(v)
  }
}

/** A span of global time, [fromMs, untilMs). */
interface Interval { fromMs: number, untilMs: number }

function addInterval (table: Interval[][], index: number, fromMs: number, untilMs: number): void {
  (table[index] ??= []).push({ fromMs, untilMs })
}

/** True if one of `intervals` holds `atMs`. */
function contains (intervals: Interval[] | undefined, atMs: number): boolean {
  return intervals?.some((i) => i.fromMs <= atMs && atMs < i.untilMs) ?? false
}

/** True if one of `intervals` overlaps [fromMs, untilMs]. */
function overlaps (intervals: Interval[] | undefined, fromMs: number, untilMs: number): boolean {
  return intervals?.some((i) => i.fromMs <= untilMs && fromMs < i.untilMs) ?? false
}
