import { probeCgroups, reapLeftovers, removeEmptySubtree } from '../../src/workloads/cgroups.js'

/**
 * Removes what killed agents left in the cgroup hierarchies: their instances' cgroups (killing anything
 * still in them, as the next `up` on their data dir would) and their own subtree. A kill -9 skips the
 * agent's own cleanup, and a test's data dir (which the next `up` would have used) is deleted after it:
 * without this, every test run would leave empty directories under /sys/fs/cgroup/.../dreammesh.
 */
export async function sweepAgentCgroups (agentIds: Iterable<string>): Promise<void> {
  const ids = [...agentIds]
  if (ids.length === 0) return
  const caps = await probeCgroups()
  for (const id of ids) {
    await reapLeftovers(caps, id, 5_000).catch(() => [])
    await removeEmptySubtree(caps, id)
  }
}
