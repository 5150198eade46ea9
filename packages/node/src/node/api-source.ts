import type { MemberView } from '@dreammesh/protocols'
import type { ApiEvent, ApiSource, MemberJson } from '../api/types.js'
import type { DreamNode } from './dream-node.js'
import type { DreamNodeEvents } from './events.js'
import { memberJson } from './member-json.js'

/** The node events `/v1/events` streams. */
const STREAMED_EVENTS = [
  'member:joined', 'member:suspect', 'member:alive', 'member:dead', 'member:left', 'member:updated', 'resources:changed'
] as const satisfies ReadonlyArray<keyof DreamNodeEvents>

/** The local API's view of a running `DreamNode` (the seam in api/types.ts). */
export class NodeApiSource implements ApiSource {
  constructor (private readonly node: DreamNode, private readonly onLeave: () => Promise<void>) {}

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

  private json (view: MemberView, isSelf: boolean): MemberJson {
    return memberJson(view, {
      resources: this.node.resourcesOf(view) ?? null,
      lastHeardMs: isSelf ? null : this.node.sinceHeardMs(view.id),
      rttMs: isSelf ? null : this.node.rttMs(view.id)
    })
  }
}
