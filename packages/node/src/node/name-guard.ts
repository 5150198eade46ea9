import type { MemberView, NodeId } from '@dreammesh/protocols'

/**
 * How long after joining a node still yields its name to an older holder, in ms. A name is checked when
 * the node first learns the cluster; after that window, a newcomer with a taken name is the one refused
 * (it sees this node in its own window), so two established nodes never both give way.
 */
export const NAME_CLAIM_WINDOW_MS = 10_000

/** A name another live member already uses. Its message is for a person. */
export class NameTakenError extends Error {
  readonly holder: NodeId
  constructor (name: string, holder: NodeId) {
    super(`the name ${JSON.stringify(name)} is taken by the live member ${holder}: names are unique in a cluster; pick another with --name`)
    this.name = 'NameTakenError'
    this.holder = holder
  }
}

/**
 * Decides whether this node must give up its name: while inside its claim window, any alive or suspect
 * member with the same name (and another id) wins. Two nodes that start within one window of each other
 * with one name are both refused: neither can know which is older, and refusing both is safe and rare
 * (the person starts one again).
 */
export class NameGuard {
  private readonly deadlineMs: number

  constructor (private readonly selfId: NodeId, private readonly name: string, startedAtMs: number, windowMs = NAME_CLAIM_WINDOW_MS) {
    this.deadlineMs = startedAtMs + windowMs
  }

  /** The error to stop with, if `member` takes our name from us. */
  check (member: MemberView, nowMs: number): NameTakenError | undefined {
    if (nowMs > this.deadlineMs) return undefined
    if (member.id === this.selfId || member.meta.name !== this.name) return undefined
    if (member.state !== 'alive' && member.state !== 'suspect') return undefined
    return new NameTakenError(this.name, member.id)
  }
}
