import type { EventQueue } from '../clock/event-queue.js'
import type { NodeClock } from '../clock/node-clock.js'
import type { ProcessTable, SimProcess } from './placement-processes.js'

/**
 * The placement soak's safety invariant (issue 5, section 7), on the TRUE clock: for every leased slot, at no
 * instant do two different nodes each either run a process of it or hold a valid lease on it.
 *
 * - "Runs a process" is the process table's truth (placement-processes.ts), so an orphan its agent lost
 *   counts until its kill lands.
 * - "Holds a valid lease" is from the lease machine's `acquired` (or `renewed`) event until its `released`
 *   event or until `validUntilMs` on that node's own clock, whichever comes first. `lost` and `kill-by` do
 *   not end it: the holder stops acting then, but the lease it was granted still runs, and ADR 0009's bound
 *   says no other node's lease may begin before it ends. A crashed holder's lease keeps running on its old
 *   clock for the same reason.
 *
 * The set of nodes that run or hold a slot grows only at an acquisition, a renewal or a process start, so
 * checking at exactly those events checks every instant. No two holders may share an epoch either.
 */

/**
 * A broken promise, with what overlapped: `process-overlap`, two nodes ran processes of one slot at once;
 * `lease-overlap`, a node acquired (or started under) a lease while another node still ran the slot or still
 * held a valid lease on it; `shared-epoch`, two holders under one epoch.
 */
export interface PlacementViolation {
  kind: 'process-overlap' | 'lease-overlap' | 'shared-epoch'
  /** True time, in ms. */
  atMs: number
  slot: string
  /** The node that began to run or hold, and the one that already did. */
  nodes: [string, string]
  detail: string
}

interface Holding {
  epoch: number
  validUntilMs: number
  clock: NodeClock
  sinceMs: number
  /** When and why the holder stopped acting on it, if it did (the lease itself runs on). */
  lost?: { atMs: number, reason: string }
}

/** Violations kept per run; more are counted, not kept. */
const MAX_KEPT = 20

export class SafetyChecker {
  readonly violations: PlacementViolation[] = []
  /** Every violation found, kept or not: one per overlap, however many events it spans. */
  violationCount = 0
  private readonly seen = new Set<string>()
  private readonly leases = new Map<string, Map<number, Holding>>()
  private readonly epochHolder = new Map<string, number>()

  constructor (
    private readonly queue: EventQueue,
    private readonly processes: ProcessTable,
    private readonly nameOf: (node: number) => string
  ) {}

  /** `node` acquired the lease on `key` (its `acquired` event), valid until local `validUntilMs` of `clock`. */
  leaseAcquired (node: number, key: string, epoch: number, validUntilMs: number, clock: NodeClock): void {
    const prior = this.epochHolder.get(`${key}#${epoch}`)
    if (prior !== undefined && prior !== node) {
      this.record('shared-epoch', key, node, prior, `${this.nameOf(node)} acquired epoch ${epoch}, which ${this.nameOf(prior)} held before`)
    }
    this.epochHolder.set(`${key}#${epoch}`, node)
    this.conflicts(node, key, `acquired the lease (epoch ${epoch})`, false)
    this.holdings(key).set(node, { epoch, validUntilMs, clock, sinceMs: this.queue.nowMs })
  }

  /** A quorum extended `node`'s lease on `key`. */
  leaseRenewed (node: number, key: string, epoch: number, validUntilMs: number, clock: NodeClock): void {
    this.conflicts(node, key, `renewed the lease (epoch ${epoch})`, false)
    const h = this.holdings(key).get(node)
    if (h !== undefined && h.epoch === epoch) h.validUntilMs = Math.max(h.validUntilMs, validUntilMs)
    else this.holdings(key).set(node, { epoch, validUntilMs, clock, sinceMs: this.queue.nowMs })
  }

  /** `node` stopped acting on its lease (`lost` or `kill-by`); its lease still runs until it ends. */
  leaseLost (node: number, key: string, epoch: number, reason: string): void {
    const h = this.leases.get(key)?.get(node)
    if (h !== undefined && h.epoch === epoch && h.lost === undefined) h.lost = { atMs: this.queue.nowMs, reason }
  }

  /** `node` gave its lease on `key` back (its `released` event): voters let go of it at once. */
  leaseReleased (node: number, key: string, epoch: number): void {
    const h = this.leases.get(key)?.get(node)
    if (h !== undefined && h.epoch === epoch) this.leases.get(key)?.delete(node)
  }

  /** A process started (ProcessTable listener). */
  processStarted (p: SimProcess): void {
    this.conflicts(p.node, p.key, `started a process (epoch ${p.epoch}${p.rogue ? ', without a lease' : ''})`, true)
  }

  /** Whether `node` holds a valid lease on `key` now, by its own clock. */
  holds (node: number, key: string): boolean {
    const h = this.leases.get(key)?.get(node)
    return h !== undefined && h.clock.toLocalMs(this.queue.nowMs) < h.validUntilMs
  }

  private conflicts (node: number, key: string, what: string, isStart: boolean): void {
    const others: string[] = []
    let first = -1
    let signature = ''
    let processes = false
    for (const p of this.processes.ofSlot(key)) {
      if (p.node === node || p.exited) continue
      processes = true
      if (first < 0) { first = p.node; signature = `p${p.node}@${p.startedAtMs}` }
      others.push(`${this.nameOf(p.node)} runs a process of it (epoch ${p.epoch}, started at ${ms(p.startedAtMs)}` +
        `${p.ending === undefined ? '' : `, ${p.ending === 'stop' ? 'stopping' : 'being killed'} until ${ms(p.endsAtMs)}`}${p.rogue ? ', no lease' : ''})`)
    }
    for (const [other, h] of this.leases.get(key) ?? []) {
      if (other === node) continue
      const localNow = h.clock.toLocalMs(this.queue.nowMs)
      if (localNow >= h.validUntilMs) continue
      if (first < 0) { first = other; signature = `l${other}#${h.epoch}` }
      const lost = h.lost === undefined ? '' : `; it stopped acting on it at ${ms(h.lost.atMs)} (${h.lost.reason})`
      others.push(`${this.nameOf(other)} holds a valid lease on it (epoch ${h.epoch}, since ${ms(h.sinceMs)}, ${(h.validUntilMs - localNow).toFixed(1)} ms left on its clock${lost})`)
    }
    if (first < 0) return
    const kind = isStart && processes ? 'process-overlap' : 'lease-overlap'
    // One overlap is reported once, not at every renewal or start it spans.
    const id = `${kind}|${key}|${node}|${signature}`
    if (this.seen.has(id)) return
    this.seen.add(id)
    this.record(kind, key, node, first, `${this.nameOf(node)} ${what} while ${others.join(' and ')}`)
  }

  private record (kind: PlacementViolation['kind'], slot: string, node: number, other: number, detail: string): void {
    this.violationCount++
    if (this.violations.length >= MAX_KEPT) return
    this.violations.push({ kind, atMs: this.queue.nowMs, slot, nodes: [this.nameOf(node), this.nameOf(other)], detail: `at ${ms(this.queue.nowMs)}: ${detail}` })
  }

  private holdings (key: string): Map<number, Holding> {
    let m = this.leases.get(key)
    if (m === undefined) { m = new Map(); this.leases.set(key, m) }
    return m
  }
}

/** A true time for a message, in seconds with ms precision. */
function ms (x: number): string {
  return `${(x / 1000).toFixed(3)} s`
}

/** Which of `keys` do not run on exactly one node now (stopping or dying processes do not count), with the count. */
export function slotsNotExactlyOnce (keys: readonly string[], processes: ProcessTable): Array<{ slot: string, nodes: number }> {
  const out: Array<{ slot: string, nodes: number }> = []
  for (const key of keys) {
    const nodes = new Set<number>()
    for (const p of processes.ofSlot(key)) if (p.ending === undefined) nodes.add(p.node)
    if (nodes.size !== 1) out.push({ slot: key, nodes: nodes.size })
  }
  return out
}
