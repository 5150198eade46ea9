import { wire, type Input, type MembershipCommand, type MembershipEvent, type NodeId, type Output, type StateMachine } from '@dreammesh/protocols'
import type { Membership, MembershipConfig } from '@dreammesh/protocols'

/**
 * Deliberately broken members, to show that the simulator's invariant checks fire (a check that cannot
 * fail is a defect). They wrap the unmodified machine from outside; nothing in the protocol knows them.
 */

/**
 * The broken variants a run can use, one for each check it must be shown to fire:
 * - `suspicion-zero`: a suspicion times out at once, so every missed probe is a death. Pauses break the
 *   refutation promise, and the loss that stays on in the liveness phase breaks accuracy.
 * - `no-refutation`: members never hear accusations against themselves (`deafToAccusations`), so they
 *   never refute; the dead stay dead to their peers and the views never converge.
 * - `slow-suspicion`: the suspicion multiplier times 50, so a crashed member is not declared dead within
 *   the completeness bound (which the checker keeps computing from the unbroken preset).
 */
export const BROKEN_VARIANTS = ['suspicion-zero', 'no-refutation', 'slow-suspicion'] as const
export type BrokenVariant = typeof BROKEN_VARIANTS[number]

/** The config a variant runs with: the preset's, changed for the variants that break it through the config. */
export function variantConfig (config: MembershipConfig, variant: BrokenVariant | undefined): MembershipConfig {
  if (variant === 'suspicion-zero') return { ...config, suspicionMult: 1e-9 }
  if (variant === 'slow-suspicion') return { ...config, suspicionMult: config.suspicionMult * 50 }
  return config
}

/**
 * A member that never hears accusations against itself: every SUSPECT, DEAD or LEFT update about it is cut
 * out of its incoming packets and frames, so it can never refute. Any suspicion of it becomes a death.
 */
export function deafToAccusations (machine: Membership, self: NodeId): StateMachine<MembershipCommand, MembershipEvent> {
  return {
    step (nowMs: number, input: Input<MembershipCommand>): Output<MembershipEvent> {
      if (input.kind !== 'message') return machine.step(nowMs, input)
      return machine.step(nowMs, { ...input, bytes: stripAccusations(input.bytes, input.channel === 'packet', self) })
    }
  }
}

function stripAccusations (bytes: Uint8Array, isPacket: boolean, self: NodeId): Uint8Array {
  const accusation = (u: wire.Update): boolean => u.node === self && u.kind !== wire.UpdateKind.ALIVE
  try {
    if (isPacket) {
      const p = wire.Packet.decode(bytes)
      if (!p.updates.some(accusation)) return bytes
      return wire.Packet.encode({ ...p, updates: p.updates.filter((u) => !accusation(u)) })
    }
    const s = wire.Sync.decode(bytes)
    if (!s.members.some(accusation)) return bytes
    return wire.Sync.encode({ ...s, members: s.members.filter((u) => !accusation(u)) })
  } catch {
    return bytes
  }
}
