/** One node index, or several. */
export type NodeGroup = number | readonly number[]

/** A cut in the network, in force until `heal()`. */
export interface Partition {
  /** True until healed. */
  readonly active: boolean
  /** Restores the links this partition cut. Idempotent. */
  heal (): void
}

const SIDE_NONE = 0
const SIDE_A = 1
const SIDE_B = 2

/**
 * One cut: side A and side B (or "everyone not in A"), dropping A to B, and B to A unless one-way.
 * Membership is a byte per node index so the check on every send is two array reads.
 */
class Cut implements Partition {
  active = true
  private readonly sideOf: Uint8Array
  /** The side of a node not named in either group: B when B is "everyone else", otherwise none. */
  private readonly restSide: number

  constructor (
    private readonly table: PartitionTable,
    groupA: readonly number[],
    groupB: readonly number[] | undefined,
    private readonly oneWay: boolean
  ) {
    let size = 0
    for (const i of groupA) size = Math.max(size, i + 1)
    for (const i of groupB ?? []) size = Math.max(size, i + 1)
    this.sideOf = new Uint8Array(size)
    for (const i of groupB ?? []) this.sideOf[i] = SIDE_B
    // A node named on both sides stays on side A: it cannot be cut from itself.
    for (const i of groupA) this.sideOf[i] = SIDE_A
    this.restSide = groupB === undefined ? SIDE_B : SIDE_NONE
  }

  cuts (from: number, to: number): boolean {
    const sideFrom = from < this.sideOf.length && this.sideOf[from] !== SIDE_NONE ? this.sideOf[from] : this.restSide
    const sideTo = to < this.sideOf.length && this.sideOf[to] !== SIDE_NONE ? this.sideOf[to] : this.restSide
    if (sideFrom === SIDE_A && sideTo === SIDE_B) return true
    return !this.oneWay && sideFrom === SIDE_B && sideTo === SIDE_A
  }

  heal (): void {
    if (!this.active) return
    this.active = false
    this.table.remove(this)
  }
}

/**
 * The partitions in force. Several may overlap; a link is cut if any of them cuts it. A message's fate is
 * decided when it is sent, as a switch port going down loses what crosses it from then on.
 */
export class PartitionTable {
  private cutList: Cut[] = []

  /** Partitions in force. */
  get size (): number { return this.cutList.length }

  /** Cuts `node` off from everyone else, both ways. */
  isolate (node: NodeGroup): Partition {
    return this.add(new Cut(this, asArray(node), undefined, false))
  }

  /** Cuts `groupA` off from `groupB` (everyone else if omitted), both ways. */
  split (groupA: NodeGroup, groupB?: NodeGroup): Partition {
    return this.add(new Cut(this, asArray(groupA), groupB === undefined ? undefined : asArray(groupB), false))
  }

  /**
   * Drops messages from `from` to `to` (everyone else if omitted) but not back: a one-way cut, as a
   * misconfigured firewall or a broken WiFi transmit path makes. Protocols that infer liveness from replies
   * see a peer that hears them and is never heard.
   */
  asymmetric (from: NodeGroup, to?: NodeGroup): Partition {
    return this.add(new Cut(this, asArray(from), to === undefined ? undefined : asArray(to), true))
  }

  /** Heals every partition. */
  healAll (): void {
    for (const cut of this.cutList) cut.active = false
    this.cutList = []
  }

  /** Whether a message from `from` to `to` is dropped. */
  cuts (from: number, to: number): boolean {
    if (from === to) return false
    const list = this.cutList
    for (let i = 0; i < list.length; i++) if (list[i].cuts(from, to)) return true
    return false
  }

  /** @internal called by `Partition.heal` */
  remove (cut: Cut): void {
    this.cutList = this.cutList.filter(c => c !== cut)
  }

  private add (cut: Cut): Cut {
    this.cutList.push(cut)
    return cut
  }
}

function asArray (group: NodeGroup): readonly number[] {
  return typeof group === 'number' ? [group] : group
}
