/**
 * `npm run bench:mesh`: real membership agents side by side, serf (memberlist, LAN defaults) and dreammesh,
 * N of each in network namespaces on one machine. Per N it measures join convergence, crash detection,
 * machine-loss detection, idle CPU, RSS and bytes per second, prints one table and exits 1 when a target is
 * missed (2 when it could not run).
 *
 *   node bench/mesh.ts [--nodes 6,20] [--quick] [--only serf|dreammesh] [--idle-seconds S] [--warmup-seconds S]
 *
 * Needs root, iproute2 and nftables (the namespaces), and serf for the serf side.
 */
import { parseArgs, USAGE, type Side } from './mesh/args.ts'
import type { AgentDriver } from './mesh/driver.ts'
import { dreammeshDriver } from './mesh/dreammesh-driver.ts'
import type { Figures } from './mesh/figures.ts'
import { runSide } from './mesh/run.ts'
import { serfDriver } from './mesh/serf-driver.ts'
import { predictMachineLossMs } from './mesh/sim-prediction.ts'
import { formatTable } from './mesh/table.ts'
import { rowsFor, type Row } from './mesh/targets.ts'
import { requireNetns } from '../test/netns/index.ts'

async function main (): Promise<number> {
  const argv = process.argv.slice(2)
  if (argv.includes('--help')) { console.log(USAGE); return 0 }
  let args: ReturnType<typeof parseArgs>
  try { args = parseArgs(argv) } catch (err) { console.error((err as Error).message); return 2 }
  const cannot = requireNetns()
  if (cannot !== undefined) { console.error(`bench:mesh cannot run: ${cannot}`); return 2 }

  const drivers: Record<Side, AgentDriver> = { serf: serfDriver(), dreammesh: dreammeshDriver() }
  const sides = (['serf', 'dreammesh'] as const).filter((s) => args.only === undefined || args.only === s)
  for (const s of sides) {
    const reason = drivers[s].unavailable()
    if (reason !== undefined) { console.error(`bench:mesh: ${s}: ${reason}`); return 2 }
  }

  console.log(`bench:mesh: N=${args.nodes.join(',')}, idle window ${args.bounds.idleWindowMs / 1000} s after a ${args.bounds.warmupMs / 1000} s warm-up, sides ${sides.join(' and ')}`)
  const rows: Row[] = []
  const notes: string[] = []
  for (const n of args.nodes) {
    const figures: Partial<Record<Side, Figures>> = {}
    for (const s of sides) {
      const started = performance.now()
      process.stdout.write(`  ${s} N=${n} ... `)
      figures[s] = await runSide(drivers[s], n, args.bounds)
      console.log(`${((performance.now() - started) / 1000).toFixed(0)} s`)
      for (const note of figures[s].notes) notes.push(`${s} N=${n}: ${note}`)
    }
    const prediction = await predictMachineLossMs(n)
    rows.push(...rowsFor(n, figures.serf, figures.dreammesh, prediction))
  }

  console.log(`\n${formatTable(rows)}`)
  for (const note of notes) console.log(`note: ${note}`)
  const missed = rows.filter((r) => r.met === false)
  if (missed.length > 0) console.log(`\n${missed.length} target(s) missed: ${missed.map((r) => `${r.metric} (N=${r.nodes})`).join('; ')}`)
  return missed.length > 0 ? 1 : 0
}

// Ctrl-C: exit normally, so the harness's exit hook removes the namespaces and their agents.
process.once('SIGINT', () => process.exit(130))
process.once('SIGTERM', () => process.exit(143))
process.exitCode = await main().catch((err: unknown) => {
  console.error(`bench:mesh failed: ${err instanceof Error ? err.stack : String(err)}`)
  return 2
})
