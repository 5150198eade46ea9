import type { NodeId } from '../../src/core/ids.js'
import { Xoshiro128, type Rng } from '../../src/core/rng.js'
import type { Input } from '../../src/core/state-machine.js'
import type { LeaseConfig } from '../../src/lease/config.js'
import { LeaseMachine } from '../../src/lease/machine.js'
import type { GrantRecord, LeaseCommand, LeaseEvent, LeaseOutput, VoterSetRecord } from '../../src/lease/types.js'

/**
 * A tiny deterministic world for lease machines, for tests: one TRUE virtual clock, and per node a local
 * clock `local(t) = offsetMs + t × rate` with |rate − 1| ≤ driftPpm, as a host's CLOCK_BOOTTIME would drift.
 * Packets take a random delay (so they reorder), may be lost or duplicated, and do not cross a partition.
 * A paused node runs nothing until its pause ends, then everything it missed in order (its clock runs on).
 * A crash loses everything not yet durable; a restart builds a new machine from what was.
 *
 * After every step it checks the safety invariant against the true clock: no two live nodes run the same
 * resource at once (from the step that reports `acquired` to the step that reports `lost` or `released`,
 * so a stalled node runs on through its stall), no two holders share an epoch, and no instance is killed
 * after its lease ended by its own clock.
 */
export interface LeaseNetOptions {
  seed: number
  ids: NodeId[]
  voters: NodeId[]
  config: LeaseConfig
  /** Clock rate error drawn per node in ±driftPpm. */
  driftPpm: number
  /** Draw only the extremes, +driftPpm or −driftPpm: the worst pairs, as often as possible. */
  driftExtremes?: boolean
  minDelayMs: number
  maxDelayMs: number
  lossRate: number
  dupRate: number
  /** The host's fsync takes up to this long (true ms). */
  maxPersistMs: number
}

export const defaultNetOptions = (config: LeaseConfig, over: Partial<LeaseNetOptions> = {}): LeaseNetOptions => ({
  seed: 1,
  ids: ['a', 'b', 'c'],
  voters: ['a', 'b', 'c'],
  config,
  driftPpm: 0,
  minDelayMs: 0.2,
  maxDelayMs: 0.2,
  lossRate: 0,
  dupRate: 0,
  maxPersistMs: 0.1,
  ...over
})

type Work =
  | { kind: 'deliver', from: NodeId, bytes: Uint8Array }
  | { kind: 'timer', gen: number }
  | { kind: 'persisted', id: number, records: LeaseOutput['persist'] }
  | { kind: 'call', fn: () => void }

interface Item { atMs: number, seq: number, node: NodeId, life: number, work: Work }

interface Node {
  id: NodeId
  machine: LeaseMachine
  offsetMs: number
  rate: number
  life: number
  crashed: boolean
  pausedUntilMs: number
  wakeGen: number
  /** What the host made durable: the latest record per resource, and the voter-set record. */
  grants: Map<string, GrantRecord>
  voters: VoterSetRecord | undefined
  ballots: Map<string, number>
}

/** What a node believes about one resource: it may act until local `validUntilMs`. */
interface Belief { epoch: number, validUntilMs: number }

export interface LoggedLeaseEvent { atMs: number, localMs: number, node: NodeId, event: LeaseEvent }

const MAX_ITEMS = 5_000_000

export class LeaseNet {
  trueMs = 0
  readonly rng: Rng
  readonly nodes = new Map<NodeId, Node>()
  readonly log: LoggedLeaseEvent[] = []
  readonly violations: string[] = []
  /** Kills carried out after the lease they were for had ended (a margin shorter than a pause). */
  readonly lateKills: string[] = []
  /** Returns true when a packet from `a` to `b` cannot pass now. */
  blocked: (a: NodeId, b: NodeId) => boolean = () => false
  private readonly beliefs = new Map<NodeId, Map<string, Belief>>()
  private readonly epochHolder = new Map<string, NodeId>()
  private queue: Item[] = []
  private seq = 0

  constructor (readonly opts: LeaseNetOptions) {
    this.rng = new Xoshiro128(opts.seed)
    for (const id of opts.ids) this.start(id, undefined)
  }

  get (id: NodeId): LeaseMachine { return this.node(id).machine }

  localMs (id: NodeId, trueMs = this.trueMs): number {
    const n = this.node(id)
    return n.offsetMs + trueMs * n.rate
  }

  command (id: NodeId, command: LeaseCommand): LeaseOutput {
    return this.step(this.node(id), { kind: 'command', command })
  }

  /** Runs `fn` at true time `atMs` (a scripted fault or command). */
  at (atMs: number, fn: () => void): void {
    this.push({ atMs, seq: this.seq++, node: '', life: 0, work: { kind: 'call', fn } })
  }

  pause (id: NodeId, forMs: number): void {
    const n = this.node(id)
    n.pausedUntilMs = Math.max(n.pausedUntilMs, this.trueMs + forMs)
  }

  crash (id: NodeId): void {
    const n = this.node(id)
    n.crashed = true
    n.life++
    this.beliefs.delete(id)
  }

  /** Starts a crashed node again: a new clock (BOOTTIME starts over), and only what it made durable. */
  restart (id: NodeId): void {
    const n = this.node(id)
    this.start(id, { grants: [...n.grants.values()], voters: n.voters, ballots: [...n.ballots].map(([resource, epoch]) => ({ resource, epoch })), life: n.life + 1 })
  }

  /** Does `id` run `resource` now (acquired, and not yet told to stop)? */
  believes (id: NodeId, resource: string): boolean {
    return this.beliefs.get(id)?.has(resource) === true && !this.node(id).crashed
  }

  eventsOf (id?: NodeId, type?: LeaseEvent['type']): LoggedLeaseEvent[] {
    return this.log.filter((e) => (id === undefined || e.node === id) && (type === undefined || e.event.type === type))
  }

  runUntil (untilMs: number): void {
    for (let i = 0; ; i++) {
      if (i > MAX_ITEMS) throw new Error(`more than ${MAX_ITEMS} items before ${untilMs} ms: a machine is spinning`)
      const item = this.queue[0]
      if (item === undefined || item.atMs > untilMs) break
      this.pop()
      this.trueMs = Math.max(this.trueMs, item.atMs)
      if (item.work.kind === 'call') { item.work.fn(); continue }
      const n = this.nodes.get(item.node)
      if (n === undefined || n.crashed || n.life !== item.life) continue
      if (n.pausedUntilMs > this.trueMs) { this.push({ ...item, atMs: n.pausedUntilMs, seq: this.seq++ }); continue }
      this.run(n, item.work)
    }
    this.trueMs = Math.max(this.trueMs, untilMs)
  }

  runFor (ms: number): void { this.runUntil(this.trueMs + ms) }

  private run (n: Node, w: Work): void {
    switch (w.kind) {
      case 'deliver': this.step(n, { kind: 'message', from: w.from, channel: 'packet', bytes: w.bytes }); return
      case 'timer': if (w.gen === n.wakeGen) this.step(n, { kind: 'timer' }); return
      case 'persisted':
        for (const r of w.records?.records ?? []) {
          if (r.type === 'grant') n.grants.set(r.record.resource, { ...r.record })
          else if (r.type === 'ballot') n.ballots.set(r.resource, r.epoch)
          else n.voters = r.record
        }
        this.step(n, { kind: 'command', command: { type: 'persisted', id: w.id } })
        return
      default:
    }
  }

  private start (id: NodeId, restart: { grants: GrantRecord[], voters: VoterSetRecord | undefined, ballots?: Array<{ resource: string, epoch: number }>, life: number } | undefined): void {
    const rng = this.rng.fork(`${id}/${restart?.life ?? 0}`)
    const spread = this.opts.driftExtremes === true ? (rng.float() < 0.5 ? -1 : 1) : rng.float() * 2 - 1
    const rate = 1 + spread * this.opts.driftPpm / 1e6
    // A booted clock starts anywhere; a restarted node's clock starts over.
    const offsetMs = rng.float() * 1_000 - this.trueMs * rate
    const nowMs = offsetMs + this.trueMs * rate
    const machine = new LeaseMachine({
      id,
      rng: rng.fork('machine'),
      config: this.opts.config,
      voters: { version: 1, voters: this.opts.voters },
      nowMs,
      restart: restart === undefined ? undefined : { restartedAtMs: nowMs, grants: restart.grants, voters: restart.voters, ballots: restart.ballots }
    })
    const old = this.nodes.get(id)
    const node: Node = {
      id, machine, offsetMs, rate, life: restart?.life ?? 0, crashed: false, pausedUntilMs: 0, wakeGen: 0,
      grants: old?.grants ?? new Map(), voters: old?.voters, ballots: old?.ballots ?? new Map()
    }
    this.nodes.set(id, node)
  }

  private step (n: Node, input: Input<LeaseCommand>): LeaseOutput {
    const localMs = n.offsetMs + this.trueMs * n.rate
    const out = n.machine.step(localMs, input)
    for (const event of out.events) this.observe(n, localMs, event)
    for (const s of out.sends) this.send(n.id, s.to, s.bytes)
    if (out.persist !== undefined) {
      this.push({ atMs: this.trueMs + this.rng.float() * this.opts.maxPersistMs, seq: this.seq++, node: n.id, life: n.life, work: { kind: 'persisted', id: out.persist.id, records: out.persist } })
    }
    n.wakeGen++
    if (out.wakeAtMs !== undefined) {
      let at = (out.wakeAtMs - n.offsetMs) / n.rate
      // Floating point: make sure the node's clock has reached the wake time when it is stepped.
      while (n.offsetMs + at * n.rate < out.wakeAtMs) at += 1e-6
      this.push({ atMs: Math.max(this.trueMs, at), seq: this.seq++, node: n.id, life: n.life, work: { kind: 'timer', gen: n.wakeGen } })
    }
    this.check()
    return out
  }

  private send (from: NodeId, to: NodeId, bytes: Uint8Array): void {
    if (!this.nodes.has(to) || this.blocked(from, to)) return
    if (this.rng.float() < this.opts.lossRate) return
    const copies = this.rng.float() < this.opts.dupRate ? 2 : 1
    for (let i = 0; i < copies; i++) {
      const delay = this.opts.minDelayMs + this.rng.float() * (this.opts.maxDelayMs - this.opts.minDelayMs)
      const life = this.nodes.get(to)?.life ?? 0
      this.push({ atMs: this.trueMs + delay, seq: this.seq++, node: to, life, work: { kind: 'deliver', from, bytes } })
    }
  }

  private observe (n: Node, localMs: number, e: LeaseEvent): void {
    this.log.push({ atMs: this.trueMs, localMs, node: n.id, event: e })
    let mine = this.beliefs.get(n.id)
    if (mine === undefined) { mine = new Map(); this.beliefs.set(n.id, mine) }
    switch (e.type) {
      case 'acquired': {
        const key = `${e.resource}#${e.epoch}`
        const prior = this.epochHolder.get(key)
        if (prior !== undefined && prior !== n.id) this.violations.push(`seed ${this.opts.seed} t=${this.trueMs.toFixed(3)}: ${n.id} and ${prior} both held ${e.resource} epoch ${e.epoch}`)
        this.epochHolder.set(key, n.id)
        mine.set(e.resource, { epoch: e.epoch, validUntilMs: e.validUntilMs })
        return
      }
      case 'renewed': mine.set(e.resource, { epoch: e.epoch, validUntilMs: e.validUntilMs }); return
      // The instance runs until the step that tells the host to kill it or that it was given away: a paused
      // node's steps come late, so its instance runs on through the pause, as a stalled daemon's child would.
      case 'lost': {
        const b = mine.get(e.resource)
        if (b !== undefined && (e.reason === 'expired' || e.reason === 'renewal-failed') && localMs > b.validUntilMs) {
          this.lateKills.push(`seed ${this.opts.seed}: ${n.id} stopped ${e.resource} ${(localMs - b.validUntilMs).toFixed(3)} ms after its lease ended`)
        }
        mine.delete(e.resource)
        return
      }
      case 'released': mine.delete(e.resource); return
      default:
    }
  }

  private check (): void {
    const holders = new Map<string, NodeId[]>()
    for (const [id, mine] of this.beliefs) {
      const n = this.nodes.get(id)
      if (n === undefined || n.crashed) continue
      for (const resource of mine.keys()) {
        const list = holders.get(resource) ?? []
        list.push(id)
        holders.set(resource, list)
      }
    }
    for (const [resource, list] of holders) {
      if (list.length > 1) this.violations.push(`seed ${this.opts.seed} t=${this.trueMs.toFixed(3)}: ${list.join(' and ')} all run ${resource}`)
    }
  }

  private node (id: NodeId): Node {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no node ${id}`)
    return n
  }

  private push (item: Item): void {
    const q = this.queue
    q.push(item)
    let i = q.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(q[i], q[p])) break
      const t = q[i]; q[i] = q[p]; q[p] = t
      i = p
    }
  }

  private pop (): void {
    const q = this.queue
    const last = q.pop()
    if (last === undefined || q.length === 0) return
    q[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < q.length && before(q[l], q[m])) m = l
      if (r < q.length && before(q[r], q[m])) m = r
      if (m === i) return
      const t = q[i]; q[i] = q[m]; q[m] = t
      i = m
    }
  }
}

function before (a: Item, b: Item): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq)
}
