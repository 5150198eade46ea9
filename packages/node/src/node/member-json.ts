import type { MemberView } from '@dreammesh/protocols'

/**
 * A member as the API and the CLI's `--json` print it: the shape the issue fixes
 * (`{ id, name, role, state, incarnation, addrs, resources, lastHeardMs }`), plus tags and RTT.
 */
export interface MemberJson {
  id: string
  name: string
  role: 'server' | 'client'
  state: 'alive' | 'suspect' | 'dead' | 'left'
  incarnation: number
  addrs: string[]
  tags: string[]
  /** The member's newest resource record (see `ResourceRecord`), or null before its first one. */
  resources: unknown
  /** How long ago this node last heard from it, in ms; null for self and for members never heard from directly. */
  lastHeardMs: number | null
  /** Round-trip time over the open connection, in ms; null when there is none. */
  rttMs: number | null
}

export function memberJson (view: MemberView, extra: { resources: unknown, lastHeardMs: number | null, rttMs: number | null }): MemberJson {
  return {
    id: view.id,
    name: view.meta.name,
    role: view.meta.role,
    state: view.state,
    incarnation: view.incarnation,
    addrs: [...view.meta.addrs],
    tags: [...view.meta.tags],
    resources: extra.resources,
    lastHeardMs: extra.lastHeardMs,
    rttMs: extra.rttMs
  }
}
