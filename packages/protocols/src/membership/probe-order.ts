import type { NodeId } from '../core/ids.js'
import { shuffle, type Rng } from '../core/rng.js'

/**
 * SWIM section 4.3's randomised round-robin: every member is probed once per round, in an order shuffled
 * each round, which bounds the time to first probe of a failed member to one round (N probe intervals)
 * instead of leaving it to chance. New members are inserted at a random place among those not yet probed.
 */
export class ProbeOrder {
  private order: NodeId[] = []
  private next = 0

  constructor (private readonly rng: Rng) {}

  /** The next target for which `eligible` holds, starting a new shuffled round from `members` when needed. */
  pick (members: readonly NodeId[], eligible: (id: NodeId) => boolean): NodeId | undefined {
    for (let pass = 0; pass < 2; pass++) {
      while (this.next < this.order.length) {
        const id = this.order[this.next++]
        if (eligible(id)) return id
      }
      if (members.length === 0) return undefined
      this.order = shuffle(this.rng, members.slice())
      this.next = 0
    }
    return undefined
  }

  /** A newly known member joins the current round at a random place ahead. */
  insert (id: NodeId): void {
    const at = this.next + this.rng.int(this.order.length - this.next + 1)
    this.order.splice(at, 0, id)
  }
}
