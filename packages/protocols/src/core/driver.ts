import type { NodeId } from './ids.js'
import type { Output, StateMachine } from './state-machine.js'
import type { Transport } from './transport.js'

/**
 * Local time and one-shot timers, as the host provides them. The real node backs it with its
 * monotonic clock and one-shot OS timers; the simulator with each node's drifting virtual clock.
 */
export interface Scheduler {
  nowMs (): number
  /** Calls `fn` once at local time `atMs` (or soon after); the returned function cancels it. */
  at (atMs: number, fn: () => void): () => void
}

/** How much earlier than needed an armed wake may stay armed, in ms (see MachineDriver.arm). */
export const EARLY_WAKE_SLACK_MS = 20

export interface DriverOptions<Command, Event> {
  /** Receives every event the machine emits. */
  onEvent?: (event: Event) => void
  /** Turns a transport's connection-closed hint into a command for the machine, or ignores it. */
  closedCommand?: (peer: NodeId) => Command | undefined
}

/**
 * Binds a state machine to a transport and a scheduler. This is the only glue between a protocol and the
 * world, and the same class runs in the real node and in the simulator, so what the simulator proves is
 * what ships.
 */
export class MachineDriver<Command, Event> {
  private cancelWake: (() => void) | undefined
  private wakeAtMs: number | undefined
  private running = false

  constructor (
    private readonly machine: StateMachine<Command, Event>,
    private readonly transport: Transport,
    private readonly scheduler: Scheduler,
    private readonly options: DriverOptions<Command, Event> = {}
  ) {}

  start (): void {
    if (this.running) return
    this.running = true
    this.transport.listen({
      onPacket: (from, bytes) => { this.apply(this.machine.step(this.scheduler.nowMs(), { kind: 'message', from, channel: 'packet', bytes })) },
      onFrame: (from, bytes) => { this.apply(this.machine.step(this.scheduler.nowMs(), { kind: 'message', from, channel: 'stream', bytes })) },
      onClosed: (peer) => {
        const command = this.options.closedCommand?.(peer)
        if (command !== undefined) this.command(command)
      }
    })
    // An empty timer step arms whatever the machine scheduled at creation.
    this.apply(this.machine.step(this.scheduler.nowMs(), { kind: 'timer' }))
  }

  command (command: Command): void {
    if (!this.running) return
    this.apply(this.machine.step(this.scheduler.nowMs(), { kind: 'command', command }))
  }

  /** Stops timers and reception. The transport itself is closed by its owner. */
  stop (): void {
    this.running = false
    this.cancelWake?.()
    this.cancelWake = undefined
    this.wakeAtMs = undefined
    this.transport.listen({ onPacket: () => {}, onFrame: () => {}, onClosed: () => {} })
  }

  private apply (out: Output<Event>): void {
    if (!this.running) return
    for (const s of out.sends) {
      if (s.channel === 'packet') this.transport.sendPacket(s.to, s.bytes)
      else this.transport.sendFrame(s.to, s.bytes)
    }
    const onEvent = this.options.onEvent
    if (onEvent !== undefined) for (const e of out.events) onEvent(e)
    this.arm(out.wakeAtMs)
  }

  private arm (atMs: number | undefined): void {
    // A timer already armed a little early stays: re-arming on every step costs a timer each time. One armed
    // much too early is moved, though: every probe's ack cancels its timeout, and on a real host a wake-up for
    // nothing (twice a second per probe) costs more than moving the timer.
    if (atMs === this.wakeAtMs || (atMs !== undefined && this.wakeAtMs !== undefined && this.wakeAtMs <= atMs && atMs - this.wakeAtMs <= EARLY_WAKE_SLACK_MS)) return
    this.cancelWake?.()
    this.cancelWake = undefined
    this.wakeAtMs = atMs
    if (atMs === undefined) return
    this.cancelWake = this.scheduler.at(atMs, () => {
      this.cancelWake = undefined
      this.wakeAtMs = undefined
      this.apply(this.machine.step(this.scheduler.nowMs(), { kind: 'timer' }))
    })
  }
}
