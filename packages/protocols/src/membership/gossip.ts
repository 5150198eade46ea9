import type { NodeId } from '../core/ids.js'
import { MAX_PACKET_UPDATES, MEMBERSHIP_WIRE_VERSION, PacketKind } from '../wire/codec.js'
import { encodeScalars, fieldCost, spliceRepeated } from '../wire/frame.js'
import { count, pickRandom, type MembershipContext } from './context.js'
import { retransmitLimit } from './math.js'

/** PacketKind's wire numbers (protons exposes the enum by name). */
const PACKET_KIND_NUMBER: Record<PacketKind, number> = {
  [PacketKind.PACKET_UNSPECIFIED]: 0,
  [PacketKind.PING]: 1,
  [PacketKind.ACK]: 2,
  [PacketKind.NACK]: 3,
  [PacketKind.PING_REQ]: 4,
  [PacketKind.GOSSIP]: 5
}

/** The field number of `Packet.updates` (see membership.proto). */
const UPDATES_FIELD = 5

/**
 * Infection-style dissemination (SWIM section 4.1): queued news rides on every packet we send, and a gossip
 * tick sends it to `gossipFanout` random members while any loud news is queued. The tick is armed only while
 * there is loud news, so an idle cluster sends nothing but probes, and quiet news (MembershipConfig.quietMetaNews)
 * rides on those.
 */
export class Gossip {
  constructor (private readonly ctx: MembershipContext) {}

  /** Arms the gossip tick if news is waiting and no tick is due. */
  arm (): void {
    const ctx = this.ctx
    // A member with no peers has no one to gossip to; joining arms the tick again.
    if (ctx.queue.loud > 0 && ctx.table.live.length > 0 && !ctx.deadlines.has('gossip')) ctx.deadlines.set('gossip', ctx.nowMs + ctx.config.gossipIntervalMs)
  }

  tick (): void {
    const ctx = this.ctx
    const targets = pickRandom(ctx.rng, ctx.table.live, ctx.config.gossipFanout, () => true)
    for (const to of targets) {
      if (ctx.queue.loud === 0) break
      this.send(to, PacketKind.GOSSIP, 0, '', [])
    }
    this.arm()
  }

  /**
   * Sends `update` (encoded) alone to every live member but `skip` at once (see MembershipConfig's
   * announceSuspicionToAll and announceJoinsToAll). Queued news stays queued: filling these packets would
   * spend its retransmit budget on one burst.
   */
  announce (update: Uint8Array, skip?: NodeId): void {
    const ctx = this.ctx
    for (const to of ctx.table.live) if (to !== skip) this.send(to, PacketKind.GOSSIP, 0, '', [update], false)
    count(ctx, 'announced')
  }

  /**
   * Sends a packet of `kind` to `to` (`target` is a member id for PING_REQ, an id hash otherwise), with `first` (news that must ride on this packet, such as the buddy
   * system's suspicion) and then, if `fill`, as much queued news as fits `maxPacketBytes`.
   */
  send (to: NodeId, kind: PacketKind, seq: number, target: NodeId | number, first: Uint8Array[], fill = true): void {
    const ctx = this.ctx
    // PING_REQ names its target in full (the relay must reach it); the others carry its 32-bit hash.
    const header = typeof target === 'string'
      ? encodeScalars([[1, MEMBERSHIP_WIRE_VERSION], [2, PACKET_KIND_NUMBER[kind]], [3, seq], [4, target]])
      : encodeScalars([[1, MEMBERSHIP_WIRE_VERSION], [2, PACKET_KIND_NUMBER[kind]], [3, seq], [6, target, 'fixed32']])
    let budget = ctx.config.maxPacketBytes - header.length
    for (const f of first) budget -= fieldCost(f.length)
    const limit = retransmitLimit(ctx.config.retransmitMult, ctx.table.live.length + 1)
    const news = fill ? ctx.queue.take(budget, limit, MAX_PACKET_UPDATES - first.length) : []
    if (kind === PacketKind.GOSSIP && news.length === 0 && first.length === 0) return
    const parts = first.length === 0 ? news : first.concat(news)
    ctx.sends.push({ to, channel: 'packet', bytes: parts.length === 0 ? header : spliceRepeated(header, UPDATES_FIELD, parts) })
  }
}
