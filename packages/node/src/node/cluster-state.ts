import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { createDesiredStateSync, DesiredStateStore, type DesiredStateChange, type DesiredStateSync } from '../desired-state/index.js'
import type { DenyList } from '../host/deny-gate.js'
import type { DreamHost } from '../host/libp2p-host.js'

/**
 * The node's share of the desired state (ADR 0011): the persisted Yjs document, its sync over libp2p, and
 * the deny list's teeth. The document is opened before the libp2p host exists, so the connection gater can
 * consult it from the first connection; a peer denied later is hung up on at once, and the gater refuses
 * it from then on, whatever secret it holds.
 */
export class ClusterState {
  private sync: DesiredStateSync | undefined
  private host: DreamHost | undefined

  private constructor (readonly store: DesiredStateStore) {}

  static async open (dataDir: string, editor: string): Promise<ClusterState> {
    return new ClusterState(await DesiredStateStore.open(dataDir, { editor }))
  }

  /** For createHost's connection gater; `refused` counts each refusal. */
  denyList (refused: (at: string) => void): DenyList {
    return { has: (peer) => this.store.isDenied(peer), refused }
  }

  async start (host: DreamHost): Promise<void> {
    this.host = host
    this.store.addEventListener('change', this.onChange)
    this.sync = await createDesiredStateSync(host, this.store)
  }

  async stop (): Promise<void> {
    this.store.removeEventListener('change', this.onChange)
    await this.sync?.stop()
    await this.store.close()
  }

  private readonly onChange = (event: CustomEvent<DesiredStateChange>): void => {
    const host = this.host
    if (host === undefined) return
    for (const peer of event.detail.denied) {
      if (!this.store.isDenied(peer)) continue
      let id: PeerId
      try {
        id = peerIdFromString(peer)
      } catch {
        continue
      }
      host.hangUp(id).catch(() => {})
    }
  }
}
