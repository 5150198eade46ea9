import type { MemberJson } from './types.js'

/** What a name or peer id names: one member, several (a shared name), or none. */
export type Resolution<M = MemberJson> =
  | { kind: 'found', member: M }
  | { kind: 'ambiguous', candidates: M[] }
  | { kind: 'unknown' }

/** What resolving needs to know of a member, whatever shape it comes in. */
export interface Named { id: string, name: string }

/**
 * Resolves what the user typed to a member, self included: every command that takes a node accepts its
 * name or its peer id (issue 4). A peer id wins over a name. Names are unique among live members, but a
 * dead or left member may still share one with a live one; that is reported, not guessed, so a command
 * never acts on the wrong machine.
 */
export function resolveMember (members: readonly MemberJson[], idOrName: string): Resolution {
  return resolveNamed(members, idOrName, m => m)
}

/** `resolveMember` over any member shape (DreamNode's MemberView uses it too, so both agree). */
export function resolveNamed<M> (members: readonly M[], idOrName: string, named: (m: M) => Named): Resolution<M> {
  const byId = members.find(m => named(m).id === idOrName)
  if (byId !== undefined) return { kind: 'found', member: byId }
  const withName = members.filter(m => named(m).name === idOrName)
  return withName.length === 1 ? { kind: 'found', member: withName[0] } : withName.length > 1 ? { kind: 'ambiguous', candidates: withName } : { kind: 'unknown' }
}

