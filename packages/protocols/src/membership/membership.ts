import { Deadlines } from '../core/deadlines.js'
import type { NodeId } from '../core/ids.js'
import type { Rng } from '../core/rng.js'
import type { Input, Output, StateMachine } from '../core/state-machine.js'
import { checkMeta, checkNodeId, decodePacket, decodeSync, PacketKind, type MetaLimits } from '../wire/codec.js'
import { AntiEntropy } from './anti-entropy.js'
import { BroadcastQueue } from './broadcast-queue.js'
import { configProblems, lanConfig, type MembershipConfig } from './config.js'
import { count, drop, type MembershipContext } from './context.js'
import { Gossip } from './gossip.js'
import { LocalHealth } from './local-health.js'
import { MemberTable } from './member-table.js'
import { News } from './news.js'
import { Prober } from './prober.js'
import { aliveUpdate, leftUpdate, toWireMeta } from './records.js'
import type { MemberMeta, MembershipCommand, MembershipEvent, MemberView } from './types.js'

export interface MembershipInit {
  /** This member's id (the libp2p peer id in the real node). */
  id: NodeId
  meta: MemberMeta
  /** The injected randomness (ARCHITECTURE.md rule 2). */
  rng: Rng
  /** @default lanConfig() */
  config?: MembershipConfig
  /**
   * The incarnation to start at. A restarted member should start above the one it last used (the real
   * node persists it); if it does not, it refutes its old self as soon as it hears of it.
   * @default 0
   */
  incarnation?: number
  /** Local time at creation; timers start from it. */
  nowMs: number
}

/**
 * SWIM membership with the Lifeguard extensions, as a sans-IO state machine.
 *
 * Feed it `(nowMs, input)`; carry out the returned sends; call it back at `wakeAtMs`. It never reads a clock
 * or the platform's randomness, so the same code runs in the real node and in the simulator.
 */
export class Membership implements StateMachine<MembershipCommand, MembershipEvent> {
  readonly config: MembershipConfig
  private readonly ctx: MembershipContext
  private readonly limits: MetaLimits
  private readonly news: News
  private readonly gossip: Gossip
  private readonly prober: Prober
  private readonly antiEntropy: AntiEntropy
  /** When the last step asked to be woken (never before that step): a step much later was stalled. */
  private dueMs: number | undefined

  constructor (init: MembershipInit) {
    const config = this.config = init.config ?? lanConfig()
    const problems = configProblems(config)
    const idProblem = checkNodeId(init.id, 'id')
    if (idProblem !== undefined) problems.push(idProblem)
    this.limits = { maxNameBytes: config.maxNameBytes, maxStateBytes: config.maxStateBytes, maxMetaBytes: config.maxMetaBytes }
    const metaProblem = checkMeta(toWireMeta(init.meta), this.limits)
    if (metaProblem !== undefined) problems.push(metaProblem)
    if (problems.length > 0) throw new Error(`invalid membership setup: ${problems.join('; ')}`)

    const table = new MemberTable(init.id, config.digestBuckets)
    const self = table.add(init.id, 'alive', init.incarnation ?? 0, 0, init.meta, init.nowMs)
    this.ctx = {
      config,
      rng: init.rng,
      table,
      self,
      health: new LocalHealth(config.awarenessMaxMultiplier),
      queue: new BroadcastQueue(config.maxQueuedBroadcasts),
      deadlines: new Deadlines<string>(),
      counters: new Map(),
      nowMs: init.nowMs,
      sends: [],
      events: [],
      leaving: false
    }
    this.news = new News(this.ctx, this.limits)
    this.gossip = new Gossip(this.ctx)
    this.prober = new Prober(this.ctx, this.news, this.gossip)
    this.antiEntropy = new AntiEntropy(this.ctx, this.news)
    this.news.verify = (m) => { this.prober.probeNow(m, true) }
    this.news.onNewMember = (id) => { this.prober.insert(id); this.gossip.arm() }
    this.news.onQueued = () => { this.gossip.arm() }
    this.news.onAnnounce = (raw, skip) => { this.gossip.announce(raw, skip) }
    // Start the two periodic activities at random phases, so members started together do not beat in step.
    const rng = this.ctx.rng
    this.ctx.deadlines.set('probe', init.nowMs + rng.float() * config.probeIntervalMs)
    this.ctx.deadlines.set('sync', init.nowMs + rng.float() * config.pushPullIntervalMs)
  }

  step (nowMs: number, input: Input<MembershipCommand>): Output<MembershipEvent> {
    const ctx = this.ctx
    ctx.nowMs = nowMs
    ctx.sends = []
    ctx.events = []
    this.noticeStall()
    if (input.kind === 'message') {
      if (input.channel === 'packet') this.onPacket(input.from, input.bytes)
      else this.onFrame(input.from, input.bytes)
    } else if (input.kind === 'command') {
      this.onCommand(input.command)
    }
    this.fireDue()
    const wakeAtMs = ctx.deadlines.next()
    // A deadline already past (set while catching up) is due now, not at its stale time.
    this.dueMs = wakeAtMs === undefined ? undefined : Math.max(wakeAtMs, nowMs)
    return { sends: ctx.sends, events: ctx.events, wakeAtMs }
  }

  get id (): NodeId { return this.ctx.self.id }

  get incarnation (): number { return this.ctx.self.incarnation }

  /** Lifeguard's local health score (0 is healthy). */
  get localHealth (): number { return this.ctx.health.value }

  self (): MemberView { return this.ctx.table.view(this.ctx.self) }

  member (id: NodeId): MemberView | undefined {
    const m = this.ctx.table.get(id)
    return m === undefined ? undefined : this.ctx.table.view(m)
  }

  /** Every member but this one, in any state still remembered. */
  members (): MemberView[] {
    const out: MemberView[] = []
    for (const m of this.ctx.table.values()) if (m.id !== this.ctx.self.id) out.push(this.ctx.table.view(m))
    return out
  }

  /** Alive and suspect peers: the members this node believes are up. */
  liveIds (): readonly NodeId[] { return this.ctx.table.live }

  /** What was counted so far: drops by reason, probes, suspicions, refutations, syncs. */
  counters (): Record<string, number> { return Object.fromEntries(this.ctx.counters) }

  private onPacket (from: NodeId, bytes: Uint8Array): void {
    const ctx = this.ctx
    const decoded = decodePacket(bytes, this.config.maxPacketBytes)
    if (!decoded.ok) { drop(ctx, from, decoded.reason, decoded.detail); return }
    const p = decoded.value
    // News first: a suspicion of us riding on a PING must be refuted in the ACK we send back.
    for (const u of p.updates) if (!this.news.apply(u, 'gossip', from)) this.news.heard(u)
    if (p.kind !== PacketKind.GOSSIP) this.prober.onPacket(from, p)
  }

  private onFrame (from: NodeId, bytes: Uint8Array): void {
    const decoded = decodeSync(bytes, this.config.maxFrameBytes, this.config.digestBuckets)
    if (!decoded.ok) { drop(this.ctx, from, decoded.reason, decoded.detail); return }
    this.antiEntropy.onSync(from, decoded.value)
  }

  private onCommand (command: MembershipCommand): void {
    const ctx = this.ctx
    switch (command.type) {
      case 'join':
        this.news.broadcast(aliveUpdate(ctx.self))
        this.antiEntropy.join(command.seeds)
        return
      case 'leave':
        if (ctx.leaving) return
        ctx.leaving = true
        ctx.table.change(ctx.self, { state: 'left', sinceMs: ctx.nowMs })
        ctx.deadlines.delete('probe')
        ctx.deadlines.delete('join')
        ctx.events.push({ type: 'left', member: ctx.table.view(ctx.self) })
        this.news.broadcast(leftUpdate(ctx.self.id, ctx.self.incarnation))
        return
      case 'connection-closed': {
        const m = ctx.table.get(command.peer)
        if (m !== undefined) this.prober.probeNow(m, false)
        return
      }
      case 'update-meta': {
        if (ctx.leaving) return
        const meta: MemberMeta = { ...ctx.self.meta, ...command.meta }
        const problem = checkMeta(toWireMeta(meta), this.limits)
        if (problem !== undefined) { ctx.events.push({ type: 'rejected', command: 'update-meta', problems: [problem] }); return }
        ctx.table.change(ctx.self, { meta, metaVersion: ctx.self.metaVersion + 1 })
        this.news.broadcast(aliveUpdate(ctx.self), true)
        return
      }
      default:
        ctx.events.push({ type: 'rejected', command: (command as { type: MembershipCommand['type'] }).type, problems: ['unknown command'] })
    }
  }

  /**
   * A step `stallMs` or more past the time the last step asked to be woken at means this member was stalled:
   * its local health worsens by one. Counted once per stall: the step that catches up fires every overdue
   * deadline, and the next step is measured from that one's own wake time.
   */
  private noticeStall (): void {
    const ctx = this.ctx
    const due = this.dueMs
    if (ctx.config.stallMs <= 0 || due === undefined || ctx.nowMs - due < ctx.config.stallMs) return
    ctx.health.apply(1)
    count(ctx, 'stalls')
  }

  private fireDue (): void {
    const ctx = this.ctx
    for (const key of ctx.deadlines.popDue(ctx.nowMs)) {
      if (key === 'probe') this.prober.tick()
      else if (key === 'gossip') this.gossip.tick()
      else if (key === 'sync') this.antiEntropy.tick()
      else if (key === 'join') this.antiEntropy.retryJoin()
      else if (key.startsWith('s:')) this.news.expire(key.slice(2))
      else if (key.startsWith('r:')) this.news.reap(key.slice(2))
      else if (key.startsWith('x')) this.antiEntropy.onTimer(key)
      else this.prober.onTimer(key)
    }
  }
}
