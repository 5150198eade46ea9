import { validateWorkloadSpec, type MemberView, type PendingSlot } from '@dreammesh/protocols'
import type { ApiEvent, ApiSource, MemberJson, VotersJson, WorkloadJson } from '../api/types.js'
import type { JsonObject } from '../desired-state/index.js'
import type { DreamNode } from './dream-node.js'
import type { DreamNodeEvents } from './events.js'
import { inspectWorkload } from './inspect-workload.js'
import { openInstanceLogs } from '../logs/index.js'
import { memberJson } from './member-json.js'

/** The node events `/v1/events` streams. */
const STREAMED_EVENTS = [
  'member:joined', 'member:suspect', 'member:alive', 'member:dead', 'member:left', 'member:updated', 'resources:changed'
] as const satisfies ReadonlyArray<keyof DreamNodeEvents>

/** The most lease voters the first workload names (a majority of 5 survives two lost servers). */
const MAX_INITIAL_VOTERS = 5

/** The local API's view of a running `DreamNode` (the seam in api/types.ts). */
export class NodeApiSource implements ApiSource {
  workloads?: () => WorkloadJson[]
  run?: ApiSource['run']
  stopWorkload?: (name: string) => Promise<boolean>
  drain?: ApiSource['drain']
  move?: ApiSource['move']
  scale?: ApiSource['scale']
  inspect?: ApiSource['inspect']
  leaveSlot?: ApiSource['leaveSlot']
  logs?: ApiSource['logs']

  constructor (private readonly node: DreamNode, private readonly onLeave: () => Promise<void>) {
    if (node.workloads !== undefined) {
      this.workloads = () => this.listWorkloads()
      this.run = async (spec) => await this.runWorkload(spec)
      this.stopWorkload = async (name) => await this.removeWorkload(name)
      const store = node.desiredState
      this.drain = async (peerId, on) => { await store.setDrain(peerId, on) }
      this.move = async (workload, index, to, fresh) => { await store.setMove(workload, index, to, fresh) }
      this.scale = async (workload, instances) => { await store.setScale(workload, instances) }
      this.leaveSlot = async (workload, index, from) => {
        const to = node.workloads?.elsewhere(workload, index, from)
        if (to !== undefined) await store.setMove(workload, index, to)
        return to
      }
      this.logs = async (workload, request, wanted, signal) => {
        const service = node.workloads
        if (service?.logs === undefined) return undefined
        // Where it runs now, else where it ran: also after a stop, as its log files stay on that node (logs/log-finder.ts).
        const locator = { service: service.logs, instances: service.instances(), selfId: node.peerId.toString(), members: [node.self(), ...node.members()] }
        return await openInstanceLogs(locator, { workload, ...request }, wanted, signal)
      }
      this.inspect = async (workload) => await inspectWorkload(node, this.listWorkloads().find(w => w.name === workload))
    }
  }

  self (): MemberJson {
    return this.json(this.node.self(), true)
  }

  members (): MemberJson[] {
    return this.node.members().map(m => this.json(m, false))
  }

  subscribe (listener: (event: ApiEvent) => void): () => void {
    const handlers = STREAMED_EVENTS.map(type => {
      const handler = (event: CustomEvent<{ member: MemberView, from?: string }>): void => {
        const { member, from } = event.detail
        const isSelf = member.id === this.node.peerId.toString()
        listener({ type, atMs: Date.now(), member: this.json(member, isSelf), ...(from === undefined ? {} : { from }) })
      }
      this.node.addEventListener(type, handler as never)
      return () => { this.node.removeEventListener(type, handler as never) }
    })
    return () => { for (const off of handlers) off() }
  }

  async leave (): Promise<void> {
    await this.onLeave()
  }

  async revoke (peerId: string, reason: string): Promise<void> {
    await this.node.revoke(peerId, reason)
  }

  async allow (peerId: string): Promise<boolean> {
    const store = this.node.desiredState
    if (!store.isDenied(peerId)) return false
    await store.allow(peerId)
    return true
  }

  voters (): VotersJson {
    const store = this.node.desiredState
    const record = store.votersRecord()
    const members = new Map([this.node.self(), ...this.node.members()].map(m => [m.id, m]))
    return {
      voters: (record?.peers ?? []).map(id => {
        const m = members.get(id)
        return { id, name: m?.meta.name ?? null, state: m?.state ?? null, role: m?.meta.role ?? null, denied: store.isDenied(id) }
      }),
      by: record?.by ?? null,
      atMs: record?.atMs ?? null,
      inForce: this.node.workloads?.leaseVoters() ?? null
    }
  }

  async setVoters (peers: string[]): Promise<void> {
    await this.node.desiredState.setVoters(peers)
  }

  private listWorkloads (): WorkloadJson[] {
    const service = this.node.workloads
    const store = this.node.desiredState
    const names = new Map([this.node.self(), ...this.node.members()].map(m => [m.id, m.meta.name]))
    const instances = service?.instances() ?? []
    const slots = service?.placement()?.slots ?? []
    const out: WorkloadJson[] = []
    for (const [name, raw] of store.workloads()) {
      const v = validateWorkloadSpec(raw)
      out.push({
        name,
        kind: v.ok ? v.spec.kind : String((raw as { kind?: unknown }).kind ?? '?'),
        instances: instances.filter(i => i.workload === name).map(i => ({
          node: i.node, nodeName: names.get(i.node) ?? i.node, index: i.index, state: i.state, pid: i.pid ?? null, epoch: i.epoch, since: i.since,
          ...(i.cpuMillis === undefined ? {} : { cpuMillis: i.cpuMillis })
        })),
        pending: slots.filter((s): s is PendingSlot => s.workload === name && s.status === 'pending').map(s => ({ index: s.index, reason: s.reason, detail: s.detail })),
        ...(v.ok ? {} : { problems: v.problems })
      })
    }
    return out.sort((a, b) => a.name.localeCompare(b.name))
  }

  /**
   * Validates and stores a workload. The first workload of a cluster also names its lease voters: the live
   * servers, up to five (issue 5: "the voters of a lease are the server members listed in the desired state").
   */
  private async runWorkload (input: unknown): Promise<{ ok: true, value: { name: string, voters: string[] } } | { ok: false, problems: string[] }> {
    const v = validateWorkloadSpec(input)
    if (!v.ok) return { ok: false, problems: v.problems }
    const store = this.node.desiredState
    let voters = store.activeVoters()
    if (voters.length === 0) {
      voters = [this.node.self(), ...this.node.members()]
        .filter(m => m.meta.role === 'server' && (m.state === 'alive' || m.state === 'suspect'))
        .map(m => m.id).sort().slice(0, MAX_INITIAL_VOTERS)
      if (voters.length === 0) return { ok: false, problems: ['the cluster has no live server to vote on leases: start a node with --role server'] }
      await store.setVoters(voters)
    }
    await store.setWorkload(v.spec.name, v.spec as unknown as JsonObject)
    return { ok: true, value: { name: v.spec.name, voters } }
  }

  private async removeWorkload (name: string): Promise<boolean> {
    const store = this.node.desiredState
    if (store.workload(name) === undefined) return false
    await store.removeWorkload(name)
    await store.clearOperations(name)
    return true
  }

  private json (view: MemberView, isSelf: boolean): MemberJson {
    return memberJson(view, {
      resources: this.node.resourcesOf(view) ?? null,
      lastHeardMs: isSelf ? null : this.node.sinceHeardMs(view.id),
      rttMs: isSelf ? null : this.node.rttMs(view.id)
    })
  }
}
