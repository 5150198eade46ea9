import type { Libp2p } from '@libp2p/interface'
import {
  LeaseMachine, leaseConfig, MachineDriver, Xoshiro128,
  type LeaseCommand, type LeaseConfig, type LeaseEvent, type LeaseOutput, type Input, type NodeId, type StateMachine, type VoterSet
} from '@dreammesh/protocols'
import { randomBytes } from 'node:crypto'
import { RealScheduler } from '../clock/real-scheduler.js'
import { createLibp2pTransport, type Libp2pTransport } from '../transport/libp2p-transport.js'
import { ClockWatch } from './clock-watch.js'
import { LeaseStore } from './lease-store.js'

/** The lease machine's own protocols: its messages never share a stream with membership's. */
export const LEASE_PROTOCOLS = { packet: '/dreammesh/lease/packet/1.0.0', frame: '/dreammesh/lease/frame/1.0.0' }

export interface LeaseHostInit {
  node: Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'dialProtocol' | 'getConnections' | 'addEventListener' | 'removeEventListener'>
  dataDir: string
  /** The desired state's voters (server peer ids), identical on every node. */
  voters: NodeId[]
  /** @default leaseConfig() */
  config?: LeaseConfig
  onEvent: (event: LeaseEvent) => void
  /** A persist that failed: the voter stays mute for those grants (never unsafe); the host should say so. */
  onPersistError?: (err: Error) => void
}

/**
 * The lease machine (ADR 0009) on this node: its own libp2p protocols, the real monotonic clock, grants made
 * durable in the data dir before any reply that depends on them leaves (`LeaseStore`), and every lease
 * dropped when the clock jumps or the machine slept (`ClockWatch`).
 */
export class LeaseHost {
  private driver: MachineDriver<LeaseCommand, LeaseEvent> | undefined
  private transport: Libp2pTransport | undefined
  private readonly clock = new ClockWatch(() => { this.command({ type: 'clock-jumped' }) })
  private readonly scheduler = new RealScheduler()
  private machine: LeaseMachine | undefined

  private constructor (private readonly init: LeaseHostInit, private readonly store: LeaseStore) {}

  static async create (init: LeaseHostInit): Promise<LeaseHost> {
    return new LeaseHost(init, await LeaseStore.open(init.dataDir))
  }

  async start (): Promise<void> {
    const init = this.init
    const id = init.node.peerId.toString()
    const now = this.scheduler.nowMs()
    const restart = this.store.restart(now)
    const machine = this.machine = new LeaseMachine({
      id,
      rng: new Xoshiro128(randomBytes(4).readUInt32LE(0)),
      config: init.config ?? leaseConfig(),
      voters: { version: 0, voters: [...init.voters].sort() },
      nowMs: now,
      ...(restart === undefined ? {} : { restart })
    })
    // The driver carries sends, events and timers; this adapter adds the one duty it does not know:
    // make `persist` durable, then tell the machine so, which releases the replies that waited for it.
    const durable: StateMachine<LeaseCommand, LeaseEvent> = {
      step: (nowMs: number, input: Input<LeaseCommand>): LeaseOutput => {
        const out = machine.step(nowMs, input)
        const request = out.persist
        if (request !== undefined) {
          this.store.persist(request).then(
            () => { this.command({ type: 'persisted', id: request.id }) },
            (err: Error) => { init.onPersistError?.(err) }
          )
        }
        return out
      }
    }
    this.transport = await createLibp2pTransport(init.node, { protocols: LEASE_PROTOCOLS })
    this.driver = new MachineDriver(durable, this.transport, this.scheduler, { onEvent: init.onEvent })
    this.driver.start()
    this.clock.start()
  }

  /** The voter set in force on this node (it walks toward the desired one a member at a time). */
  voters (): VoterSet | undefined {
    return this.machine?.voters()
  }

  /** Hold `resource` (acquire it through a quorum, then keep renewing). */
  acquire (resource: string): void { this.command({ type: 'acquire', resource }) }

  /** Give `resource` up; call only once its instance has stopped. */
  release (resource: string): void { this.command({ type: 'release', resource }) }

  /** The desired state's voter list changed. */
  setVoters (voters: NodeId[]): void { this.command({ type: 'set-voters', voters }) }

  command (command: LeaseCommand): void {
    this.driver?.command(command)
  }

  /** Stops timers and the protocols. Leases are not released: they run out, as after a crash. */
  async stop (): Promise<void> {
    this.clock.stop()
    this.driver?.stop()
    this.scheduler.cancelAll()
    await this.transport?.close()
  }
}
