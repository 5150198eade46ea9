import type { Scheduler } from '@dreammesh/protocols'

/**
 * The longest delay `setTimeout` honours, in ms (2^31 - 1). A longer one fires at once (Node warns and uses
 * 1 ms), so a far deadline is reached in hops of at most this much.
 */
const MAX_TIMEOUT_MS = 2_147_483_647

/**
 * A timer this late, in ms, may have been held up by a stall, and yields to pending I/O before it runs; one
 * on time does not.
 */
export const STALL_MS = 5

/**
 * The core `Scheduler` on the real clock: monotonic time from `performance.now()` and one-shot timers from
 * `setTimeout`.
 *
 * - Timers are unref'd: a protocol timer alone never keeps the process alive. The node's listeners do that.
 * - A timer that fires late (a stall: GC, a starved CPU) yields once to pending I/O (setImmediate) before it
 *   runs, so what arrived during the stall is seen before a timeout that the stall made due.
 * - A timer never fires before its deadline. Node may run a timeout up to a millisecond early by
 *   `performance.now()`, and then the timer re-arms for the rest, so `nowMs()` inside `fn` is at least `atMs`.
 * - Cancelling really cancels: the timeout is cleared, and `fn` cannot run afterwards even if its timeout
 *   was already queued. `cancelAll()` cancels every timer still pending (the node's stop).
 */
export class RealScheduler implements Scheduler {
  private readonly pending = new Map<symbol, () => void>()

  nowMs (): number {
    return performance.now()
  }

  at (atMs: number, fn: () => void): () => void {
    const key = Symbol('timer')
    let timer: NodeJS.Timeout | undefined
    let immediate: NodeJS.Immediate | undefined
    const cancel = (): void => {
      if (timer !== undefined) clearTimeout(timer)
      if (immediate !== undefined) clearImmediate(immediate)
      timer = undefined
      immediate = undefined
      this.pending.delete(key)
    }
    /** Runs `fn` once, unless cancelled meanwhile. */
    const run = (): void => {
      if (!this.pending.has(key)) return
      cancel()
      fn()
    }
    const arm = (): void => {
      // Node measures a timeout from its loop's cached clock, which may be a millisecond behind
      // performance.now(): one more millisecond keeps the timer from firing early and re-arming (a second
      // wake-up for nothing).
      const delayMs = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil(atMs - this.nowMs()) + 1))
      timer = setTimeout(() => {
        if (!this.pending.has(key)) return
        const lateMs = this.nowMs() - atMs
        if (lateMs < 0) { arm(); return }
        timer = undefined
        if (lateMs <= STALL_MS) { run(); return }
        // Node runs due timers BEFORE it reads the sockets that became readable meanwhile. After a stall (GC,
        // a starved CPU), a probe's timeout would then fire while its ack sits unread in the kernel: a false
        // suspicion made by our own slowness. One hop through setImmediate lets the poll phase deliver what
        // has arrived first. A timer on time skips the hop, which is one more turn of the loop.
        immediate = setImmediate(() => {
          immediate = undefined
          run()
        })
        // Not unref'd: libuv's poll phase blocks unless a ref'd immediate is pending, which would hold
        // this one until the next unrelated event.
      }, delayMs)
      timer.unref()
    }
    this.pending.set(key, cancel)
    arm()
    return cancel
  }

  /** Timers armed and neither fired nor cancelled. */
  get pendingCount (): number {
    return this.pending.size
  }

  /** Cancels every pending timer. */
  cancelAll (): void {
    for (const cancel of [...this.pending.values()]) cancel()
  }
}
