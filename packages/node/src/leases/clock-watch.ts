/** How often the wall clock is compared with the monotonic one, in ms. */
export const CLOCK_CHECK_INTERVAL_MS = 1_000
/** A disagreement beyond this between the two clocks over one interval is a jump (or a suspend), in ms. */
export const CLOCK_JUMP_THRESHOLD_MS = 250

/**
 * Notices when this machine slept or its clock jumped, for leases (issue 5: "a laptop that slept must not
 * trust an old lease"). Node's monotonic clock (`performance.now()`, CLOCK_MONOTONIC on Linux) stops during
 * suspend, and there is no CLOCK_BOOTTIME in Node; the wall clock does count the sleep. So every interval
 * the two are compared: a wall clock that moved more (or less) than the monotonic one by over
 * `CLOCK_JUMP_THRESHOLD_MS` means a suspend or a clock step, and `onJump` drops every lease held. A timer
 * that fires far too late (the process itself was stopped) counts too.
 */
export class ClockWatch {
  private timer: NodeJS.Timeout | undefined
  private lastWall = 0
  private lastMono = 0
  /** False until the first reading, which only sets the baseline. */
  private primed = false

  constructor (private readonly onJump: (byMs: number) => void, private readonly intervalMs = CLOCK_CHECK_INTERVAL_MS) {}

  start (): void {
    this.check()
    this.timer = setInterval(() => { this.check() }, this.intervalMs)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  /** One comparison; public so that a test can feed it clocks of its own. */
  check (wall = Date.now(), mono = performance.now()): void {
    const dWall = wall - this.lastWall
    const dMono = mono - this.lastMono
    this.lastWall = wall
    this.lastMono = mono
    if (!this.primed) {
      this.primed = true
      return
    }
    const skew = dWall - dMono
    const late = dMono - this.intervalMs
    if (Math.abs(skew) > CLOCK_JUMP_THRESHOLD_MS) this.onJump(skew)
    else if (late > this.intervalMs + CLOCK_JUMP_THRESHOLD_MS) this.onJump(late)
  }
}
