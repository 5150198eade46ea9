import type { Rng } from '@dreammesh/protocols'
import type { EventQueue } from '../clock/event-queue.js'

/**
 * The truth of what runs: every workload process on every simulated machine, on the TRUE clock. The
 * placement soak's invariant reads this table, never what an agent believes, so an orphan that its agent lost
 * (the agent crashed, paused, or forgot it) still counts.
 *
 * A process runs from `start` until its `stop` completes (a random delay up to the stop grace, as a
 * program handling SIGTERM takes) or its `kill` lands (a few ms, SIGKILL of its cgroup). Exits are world
 * events: a paused agent's processes keep running through the pause, and a stop started before the agent
 * stalled still completes on time; only the agent hears of it late.
 */

/** One workload process. */
export interface SimProcess {
  /** The machine it runs on (the node index). */
  readonly node: number
  /** The slot's lease key, `w/<workload>/<index>`. */
  readonly key: string
  /** The lease epoch it was started under (0 for a copy started without a lease). */
  readonly epoch: number
  /** True time of the start. */
  readonly startedAtMs: number
  /** Started without a lease, by a deliberately broken host. */
  readonly rogue: boolean
  /** How it is ending, once a stop or kill is under way. */
  ending: 'stop' | 'kill' | undefined
  /** True time it exits, once ending. */
  endsAtMs: number
  exited: boolean
  /** Called once, when it exits. */
  readonly onExit: Array<() => void>
}

export interface ProcessTableListener {
  /** A process started (checked by the invariant before anything else happens). */
  started: (p: SimProcess) => void
  /** A process exited. */
  exited: (p: SimProcess) => void
}

/** How long a SIGKILL of a process's cgroup takes to land, at most, in ms (it is at least a tenth of this). */
export const KILL_LATENCY_MS = 5

export class ProcessTable {
  private readonly bySlot = new Map<string, SimProcess[]>()
  private readonly byNode = new Map<number, Set<SimProcess>>()

  constructor (private readonly queue: EventQueue, private readonly rng: Rng, private readonly listener: ProcessTableListener) {}

  /** Starts a process of slot `key` on machine `node`. */
  start (node: number, key: string, epoch: number, rogue = false): SimProcess {
    const p: SimProcess = { node, key, epoch, startedAtMs: this.queue.nowMs, rogue, ending: undefined, endsAtMs: Infinity, exited: false, onExit: [] }
    const list = this.bySlot.get(key)
    if (list === undefined) this.bySlot.set(key, [p])
    else list.push(p)
    let mine = this.byNode.get(node)
    if (mine === undefined) { mine = new Set(); this.byNode.set(node, mine) }
    mine.add(p)
    this.listener.started(p)
    return p
  }

  /**
   * Stops every process of `key` on `node` gracefully: each exits after a random time up to `graceMs`
   * (a kill already under way is not slowed). `done` is called once none of them runs, at once if none did.
   */
  stop (node: number, key: string, graceMs: number, done: () => void): void {
    const procs = this.of(node, key)
    for (const p of procs) {
      if (p.ending !== undefined) continue
      p.ending = 'stop'
      this.endAt(p, this.queue.nowMs + this.rng.float() * graceMs)
    }
    this.whenGone(procs, done)
  }

  /** SIGKILLs every process of `key` on `node`: each exits within KILL_LATENCY_MS. `done` as for `stop`. */
  kill (node: number, key: string, done?: () => void): void {
    const procs = this.of(node, key)
    for (const p of procs) this.killOne(p, this.killLatencyMs())
    if (done !== undefined) this.whenGone(procs, done)
  }

  /**
   * Kills every process on `node` after `delayMs` (plus the kill's own latency): the watchdog of an agent that
   * died (ADR 0012), a machine that lost power (delay 0 and no latency: they are gone with it), or a restarted
   * agent reaping what its earlier life left. `done` is called once none runs.
   */
  killAll (node: number, delayMs: number, done?: () => void, instant = false): void {
    const procs = [...(this.byNode.get(node) ?? [])]
    for (const p of procs) this.killOne(p, instant ? 0 : delayMs + this.killLatencyMs())
    if (done !== undefined) this.whenGone(procs, done)
  }

  /** The live processes on `node`. */
  ofNode (node: number): SimProcess[] {
    return [...(this.byNode.get(node) ?? [])]
  }

  /** The live processes of slot `key`, on any node. */
  ofSlot (key: string): readonly SimProcess[] {
    return this.bySlot.get(key) ?? []
  }

  /** The live processes of `key` on `node`. */
  of (node: number, key: string): SimProcess[] {
    return (this.bySlot.get(key) ?? []).filter((p) => p.node === node)
  }

  private killOne (p: SimProcess, latencyMs: number): void {
    if (p.exited) return
    p.ending = 'kill'
    this.endAt(p, this.queue.nowMs + latencyMs)
  }

  private killLatencyMs (): number {
    return KILL_LATENCY_MS * (0.1 + 0.9 * this.rng.float())
  }

  /** Moves the exit earlier (never later) and schedules it. */
  private endAt (p: SimProcess, atMs: number): void {
    if (atMs >= p.endsAtMs) return
    p.endsAtMs = atMs
    if (atMs <= this.queue.nowMs) { this.exit(p); return }
    this.queue.at(atMs, () => { if (!p.exited && p.endsAtMs === atMs) this.exit(p) })
  }

  private exit (p: SimProcess): void {
    p.exited = true
    const list = this.bySlot.get(p.key)
    if (list !== undefined) {
      const i = list.indexOf(p)
      if (i >= 0) list.splice(i, 1)
      if (list.length === 0) this.bySlot.delete(p.key)
    }
    this.byNode.get(p.node)?.delete(p)
    this.listener.exited(p)
    for (const f of p.onExit.splice(0)) f()
  }

  private whenGone (procs: SimProcess[], done: () => void): void {
    let left = procs.filter((p) => !p.exited).length
    if (left === 0) { this.queue.at(this.queue.nowMs, done); return }
    for (const p of procs) {
      if (p.exited) continue
      p.onExit.push(() => { if (--left === 0) done() })
    }
  }
}
