import type { EventAction, EventQueue } from './event-queue.js'

/** Held work is kept in arrays that start this long and grow as needed. */
const INITIAL_HELD = 16

/**
 * Whether a simulated node's process is alive, paused or slow, and the work it could not do yet.
 *
 * Timers (`SimScheduler`) and deliveries (`SimNetwork`) both pass through here, in the order they came due.
 * While the node is paused (a GC pause, CPU starvation, SIGSTOP) that work is held, and when the pause ends
 * it all runs at once, in its original order, which is how a stalled process catches up.
 *
 * A crash ends the incarnation: work captured under an older `incarnation` is dropped by its owner, so a
 * restarted node never sees its predecessor's timers.
 */
export class NodeRuntime {
  /** False between a crash and a restart. */
  alive = true
  /** Bumped by every crash; work from an older incarnation must not run. */
  incarnation = 0
  /** Extra processing delay added to every delivery to this node, in milliseconds. */
  slowMs = 0
  /**
   * The latest time a delivery was deferred to by `slowMs`. Later deliveries are deferred to at least this,
   * so changing `slowMs` never lets a frame overtake one still waiting.
   */
  slowDrainMs = -Infinity

  private pausedFlag = false
  private pausedUntil = 0
  private heldActions: Array<EventAction | undefined> = new Array(INITIAL_HELD)
  private heldArgs = new Float64Array(INITIAL_HELD)
  private heldHead = 0
  private heldTail = 0
  private readonly resumeIfDue = (): void => {
    if (this.pausedFlag && this.queue.nowMs >= this.pausedUntil) this.resume()
  }

  constructor (private readonly queue: EventQueue) {}

  /**
   * True from `pause` until the resume event runs. It is a flag rather than a time comparison so that work
   * due at exactly the resume time, but scheduled before it, is held and released in order rather than
   * overtaking what was held.
   */
  get paused (): boolean { return this.pausedFlag }

  /** The global time the current pause ends, in milliseconds (meaningful only while paused). */
  get pausedUntilMs (): number { return this.pausedUntil }

  /** Work held by the current pause. */
  get heldCount (): number { return this.heldTail - this.heldHead }

  /**
   * Runs `action(arg)` now, or holds it until the pause ends. A held action is called again on release, so
   * it must re-check whatever it depends on (the incarnation, a cancel flag, an open transport).
   */
  run (action: EventAction, arg: number): void {
    if (this.pausedFlag) this.hold(action, arg)
    else action(arg)
  }

  /** Holds `action(arg)` until the pause ends. */
  hold (action: EventAction, arg: number): void {
    if (this.heldTail === this.heldActions.length) this.growHeld()
    this.heldActions[this.heldTail] = action
    this.heldArgs[this.heldTail] = arg
    this.heldTail++
  }

  /** Pauses the node for `durationMs` of global time; a pause during a pause extends it. */
  pause (durationMs: number): void {
    if (!this.alive || !(durationMs > 0)) return
    const untilMs = this.queue.nowMs + durationMs
    if (this.pausedFlag && untilMs <= this.pausedUntil) return
    this.pausedFlag = true
    this.pausedUntil = untilMs
    this.queue.at(untilMs, this.resumeIfDue)
  }

  /** Ends the pause now and runs everything held, in order. */
  resume (): void {
    this.pausedFlag = false
    this.release()
  }

  /**
   * Kills the process: ends the incarnation and any pause, and releases held work so its owners can see the
   * node is dead and drop it (freeing what they hold for it).
   */
  kill (): void {
    this.alive = false
    this.incarnation++
    this.resume()
  }

  /** Starts a new process after `kill`. */
  revive (): void {
    this.alive = true
  }

  /** Runs held work until it is done or a released action pauses the node again. */
  private release (): void {
    while (this.heldHead < this.heldTail && !this.pausedFlag) {
      const i = this.heldHead++
      const action = this.heldActions[i] as EventAction
      this.heldActions[i] = undefined
      action(this.heldArgs[i])
    }
    if (this.heldHead === this.heldTail) {
      this.heldHead = 0
      this.heldTail = 0
    }
  }

  private growHeld (): void {
    const live = this.heldTail - this.heldHead
    const capacity = live * 2 > this.heldActions.length ? this.heldActions.length * 2 : this.heldActions.length
    const actions: Array<EventAction | undefined> = new Array(capacity)
    const args = new Float64Array(capacity)
    for (let i = 0; i < live; i++) {
      actions[i] = this.heldActions[this.heldHead + i]
      args[i] = this.heldArgs[this.heldHead + i]
    }
    this.heldActions = actions
    this.heldArgs = args
    this.heldHead = 0
    this.heldTail = live
  }
}
