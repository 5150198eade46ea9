/**
 * One side at one N: a fresh LAN of namespaces, the agents, the figures, and then everything torn down,
 * including on failure (agents are SIGKILLed with their namespaces; the scratch directory is removed).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLan, type Lan } from '../../test/netns/index.ts'
import type { AgentDriver, AgentHandle } from './driver.ts'
import { measureFigures, startCluster, type Bounds, type Figures } from './figures.ts'

export async function runSide (driver: AgentDriver, nodes: number, bounds: Bounds): Promise<Figures> {
  const scratch = mkdtempSync(join(tmpdir(), `dreammesh-bench-${driver.name}-`))
  let lan: Lan | undefined
  let agents: AgentHandle[] = []
  try {
    lan = await createLan({ nodes })
    const started = await startCluster(driver, lan, scratch, bounds)
    agents = started.agents
    return await measureFigures(driver, lan, agents, started.readyAtMs, bounds, scratch)
  } finally {
    for (const a of agents) driver.stop(a)
    await lan?.destroy()
    rmSync(scratch, { recursive: true, force: true })
  }
}
