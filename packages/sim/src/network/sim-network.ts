import type { NodeId, Rng, TransportLimits } from '@dreammesh/protocols'
import type { EventAction, EventQueue } from '../clock/event-queue.js'
import { NodeRuntime } from '../clock/node-runtime.js'
import { addTrafficCounters, emptyTrafficCounters, type DropCounters, type TrafficCounters } from './counters.js'
import { retransmitDelayMs, sampleDelayMs } from './delay.js'
import { FLAG_FRAME, FLAG_RELIABLE, FLAG_SLOW_CHECKED, MessageSlab } from './message-slab.js'
import { resolveNetworkOptions, type ResolvedNetworkOptions, type SimNetworkOptions } from './options.js'
import { PartitionTable, type NodeGroup, type Partition } from './partitions.js'
import { StreamLinks } from './stream-links.js'
import { SimTransport } from './sim-transport.js'

/** Everything the network knows about one node index. */
interface SimNode {
  readonly id: NodeId
  readonly runtime: NodeRuntime
  readonly counters: TrafficCounters
  transport: SimTransport | undefined
  /** Bumped whenever a transport opens or closes; reliable messages carry both ends' epochs. */
  epoch: number
  /** Clogged links from this node: receiver index to the global time the clog lifts, in ms. */
  clogs: Map<number, number> | undefined
}

/**
 * A deterministic network between simulated nodes, addressed by a dense integer index and by `NodeId`.
 *
 * Every random choice (delay, loss, duplication, reordering, retransmissions) is drawn from the one `Rng`
 * given at construction, in the order messages are sent, so a run is a pure function of its seed. Messages
 * in flight sit in a `MessageSlab` and the `EventQueue` carries only their slot numbers.
 *
 * The fault model is `SimNetworkOptions` (see there for the `packets` and `streams` models). Partitions and
 * clogs are applied here; pauses, slowness and crashes are the receiver's `NodeRuntime` and transport state,
 * driven by `NodeFaults`.
 */
export class SimNetwork {
  /** The fault model, defaults filled in. */
  readonly options: ResolvedNetworkOptions
  /** The limits every transport of this network enforces. */
  readonly limits: Readonly<TransportLimits>

  private readonly nodes: SimNode[] = []
  private readonly indexById = new Map<NodeId, number>()
  private readonly slab = new MessageSlab()
  private readonly partitions = new PartitionTable()
  private readonly links: StreamLinks
  private readonly streamsOnly: boolean
  private readonly deliverAction: EventAction = (slot) => { this.deliver(slot) }

  /**
   * @param queue the run's clock and agenda, shared with every scheduler
   * @param rng the network's own random stream: fork it from the run's seed (`rng.fork('network')`) so
   *   adding randomness elsewhere does not change the network's draws
   * @param init the fault model
   */
  constructor (readonly queue: EventQueue, private readonly rng: Rng, init: SimNetworkOptions = {}) {
    this.options = resolveNetworkOptions(init)
    this.streamsOnly = this.options.model === 'streams'
    this.links = new StreamLinks(this.options.closeNoticeWindowMs)
    this.limits = Object.freeze({
      maxPacketBytes: this.options.maxPacketBytes,
      maxFrameBytes: this.options.maxFrameBytes,
      dialTimeoutMs: this.options.dialTimeoutMs
    })
  }

  /** Nodes added so far; their indexes are 0 to size - 1. */
  get size (): number { return this.nodes.length }

  /** Messages scheduled for delivery or held by a paused receiver. */
  get inFlight (): number { return this.slab.inFlight }

  /** Adds a node with no transport yet and returns its index. Ids must be unique. */
  addNode (id: NodeId): number {
    if (this.indexById.has(id)) throw new RangeError(`node id ${id} already exists`)
    const index = this.nodes.length
    this.nodes.push({
      id,
      runtime: new NodeRuntime(this.queue),
      counters: emptyTrafficCounters(),
      transport: undefined,
      epoch: 0,
      clogs: undefined
    })
    this.indexById.set(id, index)
    return index
  }

  /** The index of `id`, or -1 if no node has it. */
  indexOf (id: NodeId): number {
    return this.indexById.get(id) ?? -1
  }

  /** The id of node `index`. */
  idOf (index: number): NodeId {
    return this.node(index).id
  }

  /** Node `index`'s process state: pause, slowness, incarnation. */
  runtime (index: number): NodeRuntime {
    return this.node(index).runtime
  }

  /** Node `index`'s open transport, if it has one. */
  transportOf (index: number): SimTransport | undefined {
    return this.node(index).transport
  }

  /** Traffic counted for node `index` across all its transports (sent and dropped by sender, received by receiver). */
  counters (index: number): Readonly<TrafficCounters> {
    return this.node(index).counters
  }

  /** The sum of every node's counters. */
  totals (): TrafficCounters {
    const sum = emptyTrafficCounters()
    for (const node of this.nodes) addTrafficCounters(sum, node.counters)
    return sum
  }

  /**
   * Opens a fresh transport for node `index`, closing any open one first (gracefully: its peers are told).
   * Frames in flight to or from an earlier transport are not delivered to the new one; packets are, as a
   * restarted process receives datagrams sent to its port.
   */
  openTransport (index: number): SimTransport {
    const node = this.node(index)
    if (node.transport !== undefined) this.closeTransport(index, true)
    node.epoch++
    const transport = new SimTransport(this, index, node.id, node.runtime)
    node.transport = transport
    return transport
  }

  /**
   * Closes node `index`'s transport. With `notifyPeers`, every peer that exchanged reliable messages with it
   * in the last `closeNoticeWindowMs` gets `onClosed` after one network delay, as the FIN or RST of a closed
   * TCP connection would tell it. Without, peers learn nothing (the machine vanished).
   */
  closeTransport (index: number, notifyPeers: boolean): void {
    const node = this.node(index)
    const transport = node.transport
    if (transport === undefined) return
    node.transport = undefined
    node.epoch++
    transport.markClosed()
    if (notifyPeers) this.noticeConnectionsClosed(index)
  }

  /** Cuts `node` (or a group) off from everyone else, both ways, until healed. */
  isolate (node: NodeGroup): Partition {
    return this.partitions.isolate(node)
  }

  /** Cuts `groupA` off from `groupB` (everyone else if omitted), both ways, until healed. */
  split (groupA: NodeGroup, groupB?: NodeGroup): Partition {
    return this.partitions.split(groupA, groupB)
  }

  /** Drops messages from `from` to `to` (everyone else if omitted), but not back, until healed. */
  asymmetric (from: NodeGroup, to?: NodeGroup): Partition {
    return this.partitions.asymmetric(from, to)
  }

  /** Heals every partition. */
  healAll (): void {
    this.partitions.healAll()
  }

  /** Partitions in force. */
  get partitionCount (): number { return this.partitions.size }

  /**
   * Holds everything sent from `from` to `to` until global time `untilMs`, then lets it go with its usual
   * delay: a saturated or flapping link. One way; clog the reverse link separately if wanted.
   */
  clog (from: number, to: number, untilMs: number): void {
    this.node(to) // validates the index
    const node = this.node(from)
    node.clogs ??= new Map()
    node.clogs.set(to, untilMs)
  }

  /** Lifts a clog before its time. */
  unclog (from: number, to: number): void {
    const node = this.node(from)
    node.clogs?.delete(to)
    if (node.clogs?.size === 0) node.clogs = undefined
  }

  /** @internal Called by `SimTransport.sendPacket` after it checked the size limit. */
  sendPacket (from: number, to: NodeId, bytes: Uint8Array): void {
    const sender = this.nodes[from]
    sender.counters.packetsSent++
    sender.counters.bytesSent += bytes.byteLength
    const toIndex = this.indexById.get(to)
    if (this.streamsOnly) {
      this.sendReliable(from, toIndex, to, bytes, 0)
      return
    }
    if (toIndex === undefined || this.nodes[toIndex].transport === undefined) {
      this.drop(sender, 0, 'unreachable', bytes.byteLength)
      return
    }
    if (this.partitions.size > 0 && this.partitions.cuts(from, toIndex)) {
      this.drop(sender, 0, 'partition', bytes.byteLength)
      return
    }
    const o = this.options
    const rng = this.rng
    if (o.lossProbability > 0 && rng.float() < o.lossProbability) {
      this.drop(sender, 0, 'loss', bytes.byteLength)
      return
    }
    const departMs = sender.clogs === undefined ? this.queue.nowMs : this.departureMs(sender, toIndex)
    let delayMs = sampleDelayMs(rng, o)
    if (o.reorderProbability > 0 && rng.float() < o.reorderProbability) delayMs += o.reorderDelayMs * (1 + rng.float())
    this.enqueue(departMs + delayMs, from, toIndex, 0, 0, 0, o.copyPayloads ? bytes.slice() : bytes)
    if (o.duplicateProbability > 0 && rng.float() < o.duplicateProbability) {
      sender.counters.packetsDuplicated++
      this.enqueue(departMs + sampleDelayMs(rng, o), from, toIndex, 0, 0, 0, o.copyPayloads ? bytes.slice() : bytes)
    }
  }

  /** @internal Called by `SimTransport.sendFrame` after it checked the size limit. */
  sendFrame (from: number, to: NodeId, bytes: Uint8Array): void {
    const sender = this.nodes[from]
    sender.counters.framesSent++
    sender.counters.bytesSent += bytes.byteLength
    this.sendReliable(from, this.indexById.get(to), to, bytes, FLAG_FRAME)
  }

  /** @internal Called by `SimTransport` for a payload over its limit. */
  countOversized (from: number, isFrame: boolean, byteLength: number): void {
    this.drop(this.nodes[from], isFrame ? FLAG_FRAME : 0, 'oversized', byteLength)
  }

  /**
   * The connection model: a message is never lost, only late. Each loss costs a retransmission timeout that
   * doubles per consecutive loss, and a message never arrives before the one sent ahead of it on the pair.
   * A frame that cannot be sent (unreachable, partitioned, retransmitted to the limit) is reported to its
   * sender through `onClosed`; a packet riding the connection in `streams` mode is just dropped.
   */
  private sendReliable (from: number, toIndex: number | undefined, to: NodeId, bytes: Uint8Array, frameFlag: number): void {
    const sender = this.nodes[from]
    const o = this.options
    if (toIndex === undefined || this.nodes[toIndex].transport === undefined) {
      this.drop(sender, frameFlag, 'unreachable', bytes.byteLength)
      if (frameFlag !== 0) sender.transport?.frameUndeliverable(to, o.dialTimeoutMs)
      return
    }
    if (this.partitions.size > 0 && this.partitions.cuts(from, toIndex)) {
      this.drop(sender, frameFlag, 'partition', bytes.byteLength)
      if (frameFlag !== 0) sender.transport?.frameUndeliverable(to, o.dialTimeoutMs)
      return
    }
    const nowMs = this.queue.nowMs
    const links = this.links
    const link = links.entry(from, toIndex, nowMs)
    links.setSentMs(link, nowMs)
    let losses = 0
    if (o.lossProbability > 0) {
      while (this.rng.float() < o.lossProbability) {
        if (++losses > o.streamMaxRetransmits) break
      }
      sender.counters.framesRetransmitted += Math.min(losses, o.streamMaxRetransmits)
    }
    if (losses > o.streamMaxRetransmits) {
      this.drop(sender, frameFlag, 'retransmitLimit', bytes.byteLength)
      if (frameFlag !== 0) {
        sender.transport?.frameUndeliverable(to, retransmitDelayMs(o.streamMaxRetransmits, o.streamMinRtoMs, o.streamMaxRtoMs))
      }
      return
    }
    const departMs = sender.clogs === undefined ? nowMs : this.departureMs(sender, toIndex)
    let arrivalMs = departMs + sampleDelayMs(this.rng, o)
    if (losses > 0) arrivalMs += retransmitDelayMs(losses, o.streamMinRtoMs, o.streamMaxRtoMs)
    const previousArrivalMs = links.arrivalMs(link)
    if (arrivalMs < previousArrivalMs) arrivalMs = previousArrivalMs
    links.setArrivalMs(link, arrivalMs)
    const receiver = this.nodes[toIndex]
    this.enqueue(arrivalMs, from, toIndex, sender.epoch, receiver.epoch, FLAG_RELIABLE | frameFlag, o.copyPayloads ? bytes.slice() : bytes)
  }

  private enqueue (atMs: number, from: number, to: number, fromEpoch: number, toEpoch: number, flags: number, bytes: Uint8Array): void {
    const slot = this.slab.alloc(from, to, fromEpoch, toEpoch, flags, bytes)
    this.queue.schedule(atMs, this.deliverAction, slot)
  }

  /**
   * A message reaches its receiver. It passes two first-in-first-out stages, so order per pair survives
   * both: the slow-processing stage (once), then the pause stage (held until the node resumes).
   */
  private deliver (slot: number): void {
    const slab = this.slab
    const toIndex = slab.to[slot]
    const receiver = this.nodes[toIndex]
    const runtime = receiver.runtime
    const flags = slab.flags[slot]
    const nowMs = this.queue.nowMs
    if ((flags & FLAG_SLOW_CHECKED) === 0) {
      slab.flags[slot] = flags | FLAG_SLOW_CHECKED
      // While anything is still waiting in the slow stage, later messages wait behind it.
      if (runtime.slowMs > 0 || runtime.slowDrainMs >= nowMs) {
        let atMs = nowMs + runtime.slowMs
        if (atMs < runtime.slowDrainMs) atMs = runtime.slowDrainMs
        runtime.slowDrainMs = atMs
        this.queue.schedule(atMs, this.deliverAction, slot)
        return
      }
    }
    if (runtime.paused) {
      runtime.hold(this.deliverAction, slot)
      return
    }
    const from = slab.from[slot]
    const sender = this.nodes[from]
    const bytes = slab.bytes[slot] as Uint8Array
    const transport = receiver.transport
    const stale = (flags & FLAG_RELIABLE) !== 0 && (receiver.epoch !== slab.toEpoch[slot] || sender.epoch !== slab.fromEpoch[slot])
    slab.release(slot)
    if (transport === undefined || stale) {
      this.drop(sender, flags & FLAG_FRAME, 'closed', bytes.byteLength)
      return
    }
    const counters = receiver.counters
    counters.bytesReceived += bytes.byteLength
    if ((flags & FLAG_FRAME) !== 0) {
      counters.framesReceived++
      transport.receiveFrame(sender.id, bytes)
    } else {
      counters.packetsReceived++
      transport.receivePacket(sender.id, bytes)
    }
  }

  private drop (sender: SimNode, frameFlag: number, reason: keyof DropCounters, byteLength: number): void {
    const counters = sender.counters
    if (frameFlag !== 0) counters.framesDropped[reason]++
    else counters.packetsDropped[reason]++
    counters.bytesDropped += byteLength
  }

  /** When a message to `toIndex` leaves, given any clog on the link, in global ms. */
  private departureMs (sender: SimNode, toIndex: number): number {
    const nowMs = this.queue.nowMs
    const clogs = sender.clogs as Map<number, number>
    const untilMs = clogs.get(toIndex)
    if (untilMs === undefined) return nowMs
    if (untilMs > nowMs) return untilMs
    clogs.delete(toIndex)
    if (clogs.size === 0) sender.clogs = undefined
    return nowMs
  }

  /** Tells the recent reliable peers of node `index` that their connection to it closed. */
  private noticeConnectionsClosed (index: number): void {
    const node = this.nodes[index]
    const sinceMs = this.queue.nowMs - this.options.closeNoticeWindowMs
    for (const peer of this.links.recentPeers(index, sinceMs)) {
      // The FIN or RST crosses the network like anything else; a partition swallows it.
      if (this.partitions.size > 0 && this.partitions.cuts(index, peer)) continue
      this.nodes[peer].transport?.connectionClosed(node.id, sampleDelayMs(this.rng, this.options))
    }
  }

  private node (index: number): SimNode {
    const node = this.nodes[index]
    if (node === undefined) throw new RangeError(`no node with index ${index}`)
    return node
  }
}
