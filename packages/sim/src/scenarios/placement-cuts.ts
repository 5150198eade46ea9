import type { SimNetwork } from '../network/sim-network.js'

/**
 * The partitions of a placement world, as the soak's own book of them (SimNetwork applies them; the world also
 * needs to ask "is a→b cut now?" for a state fetch and for instance reports), and the instance reports a cut
 * holds back.
 *
 * Reports ride the real node's gossipsub, over a TCP connection that retransmits across a short cut and
 * delivers once it heals. The connection breaks, and what it held is lost, only when either end's agent dies
 * or declares the other dead (the real node hangs up on a dead member): `connectionBroken`.
 */

interface Cut { a: Set<number>, b: Set<number> | undefined, oneWay: boolean }

/** Who sends a held report once its cut heals (the sender's agent, if it is still the same life). */
export interface ReportSender { sendHeldReport: (peer: string, bytes: Uint8Array) => void }

export class PlacementCuts {
  private cuts: Cut[] = []
  /** The newest held report per `from>to` machine index pair, with the life that sent it. */
  private readonly held = new Map<string, { from: ReportSender, bytes: Uint8Array }>()

  constructor (private readonly network: SimNetwork, private readonly idOf: (index: number) => string) {}

  /** Cuts `a` from `b` (everyone else when absent); one way (a's sends dropped) if `oneWay`. Returns the heal. */
  cut (a: number[], b: number[] | undefined, oneWay: boolean): () => void {
    const p = oneWay ? this.network.asymmetric(a, b) : b === undefined ? this.network.isolate(a) : this.network.split(a, b)
    const cut: Cut = { a: new Set(a), b: b === undefined ? undefined : new Set(b), oneWay }
    this.cuts.push(cut)
    return () => {
      if (!this.cuts.includes(cut)) return
      p.heal()
      this.cuts = this.cuts.filter((c) => c !== cut)
      this.deliverHeld()
    }
  }

  /** Heals every cut and delivers what they held. */
  healAll (): void {
    this.cuts = []
    this.network.healAll()
    this.deliverHeld()
  }

  /** Whether messages from `from` to `to` are dropped now. */
  blocks (from: number, to: number): boolean {
    return this.cuts.some((c) => {
      const sideOf = (i: number): number => c.a.has(i) ? 1 : c.b === undefined || c.b.has(i) ? 2 : 0
      const f = sideOf(from)
      const t = sideOf(to)
      return (f === 1 && t === 2) || (!c.oneWay && f === 2 && t === 1)
    })
  }

  /** Holds a report that a cut keeps from `to`; a newer one from the same sender replaces it. */
  hold (from: ReportSender, fromIndex: number, to: number, bytes: Uint8Array): void {
    this.held.set(`${fromIndex}>${to}`, { from, bytes })
  }

  /** The connection between `a` and `b` (or every connection of `a`) broke: reports held on it are lost. */
  broken (a: number, b?: number): void {
    for (const key of [...this.held.keys()]) {
      const [from, to] = key.split('>').map(Number)
      if (b === undefined ? (from === a || to === a) : ((from === a && to === b) || (from === b && to === a))) this.held.delete(key)
    }
  }

  private deliverHeld (): void {
    for (const [key, h] of [...this.held]) {
      const [from, to] = key.split('>').map(Number)
      if (this.blocks(from, to)) continue
      this.held.delete(key)
      h.from.sendHeldReport(this.idOf(to), h.bytes)
    }
  }
}
