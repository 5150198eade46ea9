import { Deadlines } from '../core/deadlines.js'
import type { NodeId } from '../core/ids.js'
import type { Rng } from '../core/rng.js'
import type { Input, Send, StateMachine } from '../core/state-machine.js'
import { voterHoldMs } from './bounds.js'
import { leaseConfig, leaseConfigProblems, type LeaseConfig } from './config.js'
import { count, drop, type LeaseContext } from './context.js'
import { LeaseHolder } from './holder.js'
import { LeaseKind, type LeaseMessage } from './lease-messages.js'
import type { GrantRecord, LeaseCommand, LeaseEvent, LeaseOutput, LeaseRestart, VoterSet } from './types.js'
import { LeaseVoter } from './voter.js'
import { VoterSetKeeper } from './voter-set.js'
import { checkResourceKey, decodeLeaseMessage, encodeLeaseMessage } from './wire.js'

export interface LeaseMachineInit {
  /** This node's id (the libp2p peer id in the real node). */
  id: NodeId
  /** The injected randomness (ARCHITECTURE.md rule 2): retry jitter, ballots, round nonces. */
  rng: Rng
  /** @default leaseConfig() */
  config?: LeaseConfig
  /**
   * The bootstrap voter set, identical on every node (the desired state's first server list). A restored
   * voter-set record with a higher version wins over it.
   */
  voters: VoterSet
  /** Local time at creation, on a clock that counts suspend (CLOCK_BOOTTIME). */
  nowMs: number
  /** What a restarted node persisted. Without it the node is new: it has never granted anything. */
  restart?: LeaseRestart
}

/** Self-deliveries one step may make before it is cut short (a voter that is also a holder talks to itself). */
const MAX_LOCAL_DELIVERIES = 10_000

/**
 * The lease: the one ownership primitive (docs/adr/0009-leases-by-quorum-ballots.md), as a sans-IO state
 * machine. One per node, for every resource at once: it is the node's voter (it grants ballots and makes
 * them durable before replying) and its holder (it acquires, renews, stops, hands off).
 *
 * The host's extra duty beyond `Output`: write `persist.records` durably, then step
 * `{ type: 'persisted', id }`; grants wait for it (see `PersistRequest`). And carry out `lost`, `stop-by`
 * and `kill-by` events before the same step's sends.
 */
export class LeaseMachine implements StateMachine<LeaseCommand, LeaseEvent> {
  readonly config: LeaseConfig
  private readonly ctx: LeaseContext
  private readonly voter: LeaseVoter
  private readonly holder: LeaseHolder
  private readonly voterSet: VoterSetKeeper
  private readonly waiting = new Map<number, Array<{ to: NodeId, message: LeaseMessage }>>()
  private persistSeq = 0
  private lastNowMs: number

  constructor (init: LeaseMachineInit) {
    const config = this.config = init.config ?? leaseConfig()
    const problems = leaseConfigProblems(config)
    if (init.voters.voters.length === 0) problems.push('the voter set is empty')
    if (init.voters.voters.length > config.maxVoters) problems.push('the voter set is over maxVoters')
    if (problems.length > 0) throw new Error(`invalid lease setup: ${problems.join('; ')}`)
    this.lastNowMs = init.nowMs
    this.ctx = {
      id: init.id,
      config,
      rng: init.rng,
      deadlines: new Deadlines<string>(),
      counters: new Map(),
      nowMs: init.nowMs,
      events: [],
      out: [],
      afterPersist: [],
      durable: [],
      pendingPersists: 0,
      voterSet: () => this.voterSet.current,
      sends: []
    }
    const restart = init.restart
    const quietUntilMs = restart === undefined ? init.nowMs : restart.restartedAtMs + voterHoldMs(config)
    this.voter = new LeaseVoter(this.ctx, restart?.grants ?? [], quietUntilMs)
    this.voterSet = new VoterSetKeeper(this.ctx, init.voters, restart?.voters, init.nowMs)
    this.holder = new LeaseHolder(this.ctx, restart?.ballots ?? [])
  }

  get id (): NodeId { return this.ctx.id }

  step (nowMs: number, input: Input<LeaseCommand>): LeaseOutput {
    const ctx = this.ctx
    // A clock that runs backwards breaks every bound; hosts report jumps with `clock-jumped`, this is a guard.
    if (nowMs < this.lastNowMs) { count(ctx, 'clock-backwards'); nowMs = this.lastNowMs }
    this.lastNowMs = nowMs
    ctx.nowMs = nowMs
    ctx.events = []
    ctx.out = []
    ctx.afterPersist = []
    ctx.durable = []
    ctx.sends = []
    if (input.kind === 'message') this.onMessage(input.from, input.bytes)
    else if (input.kind === 'command') this.onCommand(input.command)
    this.fireDue()
    this.deliverLocal()
    return { sends: ctx.sends, events: ctx.events, wakeAtMs: ctx.deadlines.next(), persist: this.takePersist() }
  }

  /** Whether this node holds `resource` at local `nowMs` (its lease has not ended by its own clock). */
  holds (resource: string, nowMs: number): boolean { return this.holder.holds(resource, nowMs) }

  /** The lease held on `resource`, if any. */
  lease (resource: string): { epoch: number, validUntilMs: number, confirmed: boolean } | undefined { return this.holder.lease(resource) }

  /** What this node, as a voter, granted for `resource`. */
  grant (resource: string): GrantRecord | undefined { return this.voter.record(resource) }

  /** The voter set this node counts quorums in. */
  voters (): VoterSet { const v = this.voterSet.current; return { version: v.version, voters: [...v.voters] } }

  /** What was counted: drops by reason, grants, denies by reason, rounds, losses by reason. */
  counters (): Record<string, number> { return Object.fromEntries(this.ctx.counters) }

  private onMessage (from: NodeId, bytes: Uint8Array): void {
    const d = decodeLeaseMessage(bytes, this.config.maxMessageBytes)
    if (!d.ok) { drop(this.ctx, from, d.reason, d.detail); return }
    this.dispatch(from, d.value)
  }

  private dispatch (from: NodeId, m: LeaseMessage): void {
    switch (m.kind) {
      case LeaseKind.REQUEST: case LeaseKind.RENEW: this.voter.onRequest(from, m); return
      case LeaseKind.RELEASE: this.voter.onRelease(from, m); return
      case LeaseKind.DENY:
        if (m.reason === 'voter-set') {
          if (m.votersVersion > this.voterSet.current.version) this.voterSet.adopt({ version: m.votersVersion, voters: m.voters })
          else if (m.votersVersion < this.voterSet.current.version) this.voterSet.relay(from)
        }
        this.holder.onMessage(from, m)
        return
      case LeaseKind.GRANT: case LeaseKind.HANDOFF_ASK: case LeaseKind.HANDOFF: this.holder.onMessage(from, m); return
      default: this.voterSet.onMessage(from, m)
    }
  }

  private onCommand (command: LeaseCommand): void {
    const ctx = this.ctx
    const reject = (problems: string[]): void => { if (problems.length > 0) ctx.events.push({ type: 'rejected', command: command.type, problems }) }
    const keyProblem = 'resource' in command ? checkResourceKey(command.resource) : undefined
    if (keyProblem !== undefined) { reject([keyProblem]); return }
    switch (command.type) {
      case 'acquire': this.holder.acquire(command.resource); return
      case 'release': this.holder.release(command.resource); return
      case 'ask-handoff': this.holder.askHandoff(command.resource, command.holder); return
      case 'handoff': reject(this.holder.handoff(command.resource, command.to)); return
      case 'set-voters': reject(this.voterSet.setTarget(command.voters)); return
      case 'persisted': this.onPersisted(command.id); return
      case 'clock-jumped':
        count(ctx, 'clock-jumped')
        this.holder.clockJumped()
        this.voter.clockJumped()
        return
      default: reject(['unknown command'])
    }
  }

  private onPersisted (id: number): void {
    const replies = this.waiting.get(id)
    if (replies === undefined) { count(this.ctx, 'persisted-unknown'); return }
    this.waiting.delete(id)
    this.ctx.pendingPersists = this.waiting.size
    this.ctx.out.push(...replies)
  }

  private fireDue (): void {
    for (const key of this.ctx.deadlines.popDue(this.ctx.nowMs)) {
      if (key === 'v:') this.voterSet.onTimer()
      else this.holder.onTimer(key)
    }
  }

  /** Encodes what goes out; what this node sends itself is handled now, in order, within the step. */
  private deliverLocal (): void {
    const ctx = this.ctx
    for (let i = 0; ctx.out.length > 0; i++) {
      const batch = ctx.out
      ctx.out = []
      for (const o of batch) {
        if (o.to !== ctx.id) { ctx.sends.push(this.encode(o)); continue }
        if (i > MAX_LOCAL_DELIVERIES) { count(ctx, 'local-loop-cut'); continue }
        this.dispatch(ctx.id, o.message)
      }
      this.fireDue()
    }
  }

  private encode (o: { to: NodeId, message: LeaseMessage }): Send {
    return { to: o.to, channel: 'packet', bytes: encodeLeaseMessage(o.message) }
  }

  /** Grants decided this step wait for the host's fsync; a reply to this node itself waits too. */
  private takePersist (): LeaseOutput['persist'] {
    const ctx = this.ctx
    if (ctx.durable.length === 0) {
      // Nothing to make durable, nothing can be waiting on it.
      if (ctx.afterPersist.length > 0) ctx.sends.push(...ctx.afterPersist.map((o) => this.encode(o)))
      return undefined
    }
    const id = ++this.persistSeq
    this.waiting.set(id, ctx.afterPersist)
    ctx.pendingPersists = this.waiting.size
    return { id, records: ctx.durable }
  }
}
