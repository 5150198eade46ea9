import type { NodeId } from '../../src/core/ids.js'
import { Xoshiro128 } from '../../src/core/rng.js'
import type { Channel, Input, Output } from '../../src/core/state-machine.js'
import { localTestConfig, type MembershipConfig } from '../../src/membership/config.js'
import { Membership } from '../../src/membership/membership.js'
import type { MemberMeta, MembershipCommand, MembershipEvent } from '../../src/membership/types.js'

/**
 * A tiny deterministic driver for `Membership` machines, for tests. One virtual clock shared by every
 * machine, a fixed one-way latency, and no wall clock anywhere: each step's `sends` are delivered
 * `latencyMs` later, and each machine is stepped with `{ kind: 'timer' }` at the `wakeAtMs` it last asked for.
 * Messages due at the same time run in the order they were sent; deliveries run before timers due at the
 * same time.
 */
export interface Delivery {
  /** When it arrives. */
  atMs: number
  /** When it was sent. */
  sentAtMs: number
  seq: number
  from: NodeId
  to: NodeId
  channel: Channel
  bytes: Uint8Array
}

export interface LoggedEvent { atMs: number, node: NodeId, event: MembershipEvent }

export function meta (name: string, over: Partial<MemberMeta> = {}): MemberMeta {
  return { name, role: 'server', addrs: [`/memory/${name}`], tags: [], state: new Uint8Array(0), ...over }
}

/** The most steps one `runUntil` may take; a machine that keeps asking to wake "now" is a bug, not a hang. */
const MAX_STEPS = 2_000_000

export class Loop {
  nowMs = 0
  readonly machines = new Map<NodeId, Membership>()
  readonly events: LoggedEvent[] = []
  /** Every message any machine sent, delivered or not. */
  readonly sent: Delivery[] = []
  /** Stopped nodes: they are never stepped, and what is sent to them is lost. */
  readonly down = new Set<NodeId>()
  /** Returns true to lose a message on the way (checked when it is sent). */
  lose: (from: NodeId, to: NodeId, channel: Channel) => boolean = () => false
  private readonly wakeAt = new Map<NodeId, number | undefined>()
  private inflight: Delivery[] = []
  private seq = 0

  constructor (readonly latencyMs = 1) {}

  add (id: NodeId, seed: number, config: MembershipConfig = localTestConfig(), m: MemberMeta = meta(id)): Membership {
    const machine = new Membership({ id, meta: m, rng: new Xoshiro128(seed), config, nowMs: this.nowMs })
    this.machines.set(id, machine)
    // The constructor arms the first timers; a timer step at creation time reports when.
    this.step(id, { kind: 'timer' })
    return machine
  }

  get (id: NodeId): Membership {
    const m = this.machines.get(id)
    if (m === undefined) throw new Error(`no machine ${id}`)
    return m
  }

  /** Steps one machine now and carries out its output. */
  step (id: NodeId, input: Input<MembershipCommand>): Output<MembershipEvent> {
    const out = this.get(id).step(this.nowMs, input)
    this.apply(id, out)
    return out
  }

  command (id: NodeId, command: MembershipCommand): Output<MembershipEvent> {
    return this.step(id, { kind: 'command', command })
  }

  /** Runs every delivery and timer due up to `untilMs`, then sets the clock there. */
  runUntil (untilMs: number): void {
    for (let steps = 0; ; steps++) {
      if (steps > MAX_STEPS) throw new Error(`more than ${MAX_STEPS} steps before ${untilMs} ms: a machine is spinning`)
      const delivery = this.inflight[0]
      let timerNode: NodeId | undefined
      let timerAt = Infinity
      for (const [id, at] of this.wakeAt) {
        if (at !== undefined && !this.down.has(id) && at < timerAt) { timerAt = at; timerNode = id }
      }
      const deliveryAt = delivery?.atMs ?? Infinity
      const next = Math.min(deliveryAt, timerAt)
      if (next > untilMs) break
      this.nowMs = Math.max(this.nowMs, next)
      if (delivery !== undefined && deliveryAt <= timerAt) {
        this.inflight.shift()
        if (this.down.has(delivery.to)) continue
        this.step(delivery.to, { kind: 'message', from: delivery.from, channel: delivery.channel, bytes: delivery.bytes })
      } else if (timerNode !== undefined) {
        this.wakeAt.set(timerNode, undefined)
        this.step(timerNode, { kind: 'timer' })
      }
    }
    this.nowMs = Math.max(this.nowMs, untilMs)
  }

  runFor (ms: number): void {
    this.runUntil(this.nowMs + ms)
  }

  /** Events logged by `node` (or by every node), optionally only those about `about`. */
  eventsOf (node?: NodeId, about?: NodeId): LoggedEvent[] {
    return this.events.filter((e) => (node === undefined || e.node === node) && (about === undefined || aboutWhom(e.event) === about))
  }

  private apply (id: NodeId, out: Output<MembershipEvent>): void {
    for (const event of out.events) this.events.push({ atMs: this.nowMs, node: id, event })
    for (const s of out.sends) {
      const d: Delivery = { atMs: this.nowMs + this.latencyMs, sentAtMs: this.nowMs, seq: this.seq++, from: id, to: s.to, channel: s.channel, bytes: s.bytes }
      this.sent.push(d)
      if (this.lose(id, s.to, s.channel) || !this.machines.has(s.to)) continue
      this.insert(d)
    }
    this.wakeAt.set(id, out.wakeAtMs)
  }

  private insert (d: Delivery): void {
    const q = this.inflight
    let i = q.length
    while (i > 0 && q[i - 1].atMs > d.atMs) i--
    q.splice(i, 0, d)
  }
}

/** The member an event is about, if any. */
export function aboutWhom (e: MembershipEvent): NodeId | undefined {
  switch (e.type) {
    case 'joined': case 'suspect': case 'alive': case 'dead': case 'left': case 'updated': return e.member.id
    case 'reaped': return e.id
    default: return undefined
  }
}
