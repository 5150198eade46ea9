import type { MemberView } from '@dreammesh/protocols'
import type { MemberJson } from '../api/types.js'

export type { MemberJson }

/** A member as the API and the CLI's `--json` print it (see `MemberJson`). */

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
