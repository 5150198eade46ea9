import type { MemberJson } from './types.js'

/** What a name or peer id names: one member, several (a shared name), or none. */
export type Resolution =
  | { kind: 'found', member: MemberJson }
  | { kind: 'ambiguous', candidates: MemberJson[] }
  | { kind: 'unknown' }

/**
 * Resolves what the user typed to a member, self included: every command that takes a node accepts its
 * name or its peer id (issue 4). A peer id wins over a name. Names are unique among live members, but a
 * dead or left member may still share one with a live one; that is reported, not guessed, so a command
 * never acts on the wrong machine.
 */
export function resolveMember (members: readonly MemberJson[], idOrName: string): Resolution {
  const byId = members.find(m => m.id === idOrName)
  if (byId !== undefined) return { kind: 'found', member: byId }
  const named = members.filter(m => m.name === idOrName)
  if (named.length === 1) return { kind: 'found', member: named[0] }
  if (named.length > 1) return { kind: 'ambiguous', candidates: named }
  return { kind: 'unknown' }
}
