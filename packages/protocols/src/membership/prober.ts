import { fnv1a32, type NodeId } from '../core/ids.js'
import { PacketKind, Update, type PacketMessage } from '../wire/codec.js'
import { count, drop, pickRandom, type MembershipContext } from './context.js'
import type { Gossip } from './gossip.js'
import type { Member } from './member-table.js'
import type { News } from './news.js'
import { ProbeOrder } from './probe-order.js'
import { suspectUpdate } from './records.js'

interface Probe {
  seq: number
  target: NodeId
  /** fnv1a32 of `target`: what PING, ACK and NACK carry. */
  targetHash: number
  /** The target's incarnation when the probe began: a failure says nothing about a later one. */
  incarnation: number
  urgent: boolean
  acked: boolean
  /** Relays that answered NACK, each counted once (a duplicated packet must not count twice). */
  nackers: Set<NodeId>
  expectedNacks: number
  /** False until the direct PING timed out and the indirect probes went out. */
  indirect: boolean
  /** When the probe as a whole fails (local time). */
  deadlineMs: number
  /** When the direct PING went out (local time): an ACK before the indirect probes measures the round trip. */
  sentAtMs: number
}

interface Relay {
  requester: NodeId
  seq: number
  targetHash: number
  /** The NACK went out; the relay still forwards a late ACK until the requester's deadline has passed. */
  nacked: boolean
}

/** The most indirect probes this member runs for others at once; more PING_REQs are dropped. */
const MAX_RELAYS = 256

/** The share of `probeTimeoutMs` a relay waits before it NACKs, so the NACK beats the requester's deadline. */
const RELAY_TIMEOUT_SHARE = 0.8

/**
 * SWIM's failure detector (section 3.1) with Lifeguard's local health: one round-robin probe per interval,
 * a direct PING, then PING_REQs through `indirectChecks` members, then suspicion. Probes out of turn
 * (`probeNow`) serve the host's connection-closed hint and the checking of hearsay.
 */
export class Prober {
  private readonly probes = new Map<number, Probe>()
  private readonly byTarget = new Map<NodeId, Probe>()
  private readonly relays = new Map<number, Relay>()
  private readonly order: ProbeOrder
  private urgentCount = 0
  private seq = 0

  constructor (private readonly ctx: MembershipContext, private readonly news: News, private readonly gossip: Gossip) {
    this.order = new ProbeOrder(ctx.rng.fork('probe-order'))
  }

  /** A member became known: it joins the current round. */
  insert (id: NodeId): void {
    this.order.insert(id)
  }

  /** The round-robin tick. */
  tick (): void {
    const ctx = this.ctx
    if (ctx.leaving) return
    ctx.deadlines.set('probe', ctx.nowMs + ctx.health.scale(ctx.config.probeIntervalMs))
    const target = this.order.pick(ctx.table.live, (id) => {
      const m = ctx.table.get(id)
      return m !== undefined && (m.state === 'alive' || m.state === 'suspect') && !this.byTarget.has(id)
    })
    if (target !== undefined) this.start(target, false, false)
  }

  /**
   * Probes `m` now, out of turn, if it is live, not already being probed, and the urgent budget allows.
   * With `withClaim`, the PING carries a suspicion of `m` so that a live `m` refutes in its ACK.
   */
  probeNow (m: Member, withClaim: boolean): void {
    if (this.ctx.leaving || this.byTarget.has(m.id) || this.urgentCount >= this.ctx.config.maxUrgentProbes) return
    if (m.state !== 'alive' && m.state !== 'suspect') return
    this.start(m.id, true, withClaim)
  }

  onTimer (key: string): void {
    const seq = Number(key.slice(3))
    if (key.startsWith('pr:')) this.timeout(seq)
    else if (key.startsWith('rl:')) this.relayTimeout(seq)
  }

  onPacket (from: NodeId, p: PacketMessage): void {
    const ctx = this.ctx
    switch (p.kind) {
      case PacketKind.PING:
        if (p.targetHash !== ctx.self.idHash) { drop(ctx, from, 'misrouted', `PING for member hash ${p.targetHash}`); return }
        this.gossip.send(from, PacketKind.ACK, p.seq, ctx.self.idHash, [])
        return
      case PacketKind.ACK: this.ack(p); return
      case PacketKind.NACK: {
        const probe = this.probes.get(p.seq)
        if (probe !== undefined && probe.targetHash === p.targetHash) probe.nackers.add(from)
        return
      }
      case PacketKind.PING_REQ: this.relay(from, p); return
      default:
    }
  }

  private start (target: NodeId, urgent: boolean, withClaim: boolean): void {
    const ctx = this.ctx
    const m = ctx.table.get(target)
    if (m === undefined) return
    const probe: Probe = {
      seq: this.nextSeq(),
      target,
      targetHash: m.idHash,
      incarnation: m.incarnation,
      urgent,
      acked: false,
      nackers: new Set(),
      expectedNacks: 0,
      indirect: false,
      deadlineMs: ctx.nowMs + ctx.health.scale(ctx.config.probeIntervalMs),
      sentAtMs: ctx.nowMs
    }
    this.probes.set(probe.seq, probe)
    this.byTarget.set(target, probe)
    if (urgent) this.urgentCount++
    count(ctx, urgent ? 'probes.urgent' : 'probes')
    this.gossip.send(target, PacketKind.PING, probe.seq, m.idHash, this.buddy(m, withClaim))
    // One timer per probe: first the direct timeout, then (re-armed) the probe's deadline.
    ctx.deadlines.set(`pr:${probe.seq}`, ctx.nowMs + ctx.health.scale(ctx.config.probeTimeoutMs))
  }

  /** Lifeguard's buddy system: a PING to a suspect tells it that it is suspected, so it can refute at once. */
  private buddy (m: Member, withClaim: boolean): Uint8Array[] {
    if (m.state !== 'suspect' && !withClaim) return []
    return [Update.encode(suspectUpdate(m.id, m.incarnation, this.ctx.self.id))]
  }

  private timeout (seq: number): void {
    const probe = this.probes.get(seq)
    if (probe === undefined || probe.acked) return
    if (probe.indirect) this.deadline(probe)
    else this.directTimeout(probe)
  }

  private directTimeout (probe: Probe): void {
    const ctx = this.ctx
    const seq = probe.seq
    probe.indirect = true
    ctx.deadlines.set(`pr:${seq}`, probe.deadlineMs)
    const helpers = pickRandom(ctx.rng, ctx.table.live, ctx.config.indirectChecks, (id) => id !== probe.target)
    probe.expectedNacks = helpers.length
    for (const h of helpers) this.gossip.send(h, PacketKind.PING_REQ, seq, probe.target, [])
    count(ctx, 'probes.indirect', helpers.length)
  }

  private deadline (probe: Probe): void {
    const ctx = this.ctx
    this.finish(probe)
    // Lifeguard 3.2: missing NACKs mean our own links are failing, so we are the likelier culprit.
    ctx.health.apply(probe.expectedNacks > 0 ? Math.max(0, probe.expectedNacks - probe.nackers.size) : 1)
    count(ctx, 'probes.failed')
    const m = ctx.table.get(probe.target)
    // A target that refuted while we probed it is past what this probe tested (memberlist does the same).
    if (m !== undefined && m.incarnation === probe.incarnation) this.news.suspectMember(m, ctx.self.id)
  }

  private ack (p: PacketMessage): void {
    const ctx = this.ctx
    const relay = this.relays.get(p.seq)
    if (relay !== undefined) {
      if (relay.targetHash !== p.targetHash) return
      this.relays.delete(p.seq)
      ctx.deadlines.delete(`rl:${p.seq}`)
      this.gossip.send(relay.requester, PacketKind.ACK, relay.seq, relay.targetHash, [])
      return
    }
    const probe = this.probes.get(p.seq)
    // A late ACK (after the deadline) is normal under load and proves nothing now: ignore it.
    if (probe === undefined || probe.targetHash !== p.targetHash) return
    probe.acked = true
    // Before the PING_REQs went out only the target can have answered: that ACK times a round trip, free.
    if (!probe.indirect) ctx.events.push({ type: 'rtt', id: probe.target, ms: ctx.nowMs - probe.sentAtMs })
    this.finish(probe)
    ctx.health.apply(-1)
  }

  private relay (from: NodeId, p: PacketMessage): void {
    const ctx = this.ctx
    if (this.relays.size >= MAX_RELAYS) { drop(ctx, from, 'busy', 'too many indirect probes in flight'); return }
    const m = ctx.table.get(p.target)
    const seq = this.nextSeq()
    const targetHash = m?.idHash ?? fnv1a32(p.target)
    this.relays.set(seq, { requester: from, seq: p.seq, targetHash, nacked: false })
    this.gossip.send(p.target, PacketKind.PING, seq, targetHash, m !== undefined ? this.buddy(m, false) : [])
    ctx.deadlines.set(`rl:${seq}`, ctx.nowMs + ctx.config.probeTimeoutMs * RELAY_TIMEOUT_SHARE)
  }

  private relayTimeout (seq: number): void {
    const relay = this.relays.get(seq)
    if (relay === undefined) return
    if (relay.nacked) {
      this.relays.delete(seq)
      return
    }
    relay.nacked = true
    this.gossip.send(relay.requester, PacketKind.NACK, relay.seq, relay.targetHash, [])
    // Keep forwarding a late ACK for as long as the requester may still use it (memberlist does the same).
    this.ctx.deadlines.set(`rl:${seq}`, this.ctx.nowMs + this.ctx.config.probeTimeoutMs)
  }

  private finish (probe: Probe): void {
    this.probes.delete(probe.seq)
    if (this.byTarget.get(probe.target) === probe) this.byTarget.delete(probe.target)
    if (probe.urgent) this.urgentCount--
    this.ctx.deadlines.delete(`pr:${probe.seq}`)
  }

  private nextSeq (): number {
    this.seq = (this.seq + 1) >>> 0
    return this.seq
  }
}
