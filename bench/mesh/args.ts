/** Flags of `bench/mesh.ts`. */
import type { Bounds } from './figures.ts'

export type Side = 'serf' | 'dreammesh'

export interface MeshArgs { nodes: number[], quick: boolean, only: Side | undefined, bounds: Bounds }

/** The idle window, and the quick mode's. */
const IDLE_WINDOW_MS = 60_000
const QUICK_IDLE_WINDOW_MS = 10_000
/** The wait between the join and the idle window, and the quick mode's. */
const WARMUP_MS = 30_000
const QUICK_WARMUP_MS = 5_000
/** Machine losses timed per side and N (their median is the figure), and the quick mode's. */
const LOSS_RUNS = 5
const QUICK_LOSS_RUNS = 1

export const USAGE = `node bench/mesh.ts [--nodes 6,20] [--quick] [--only serf|dreammesh] [--idle-seconds S] [--warmup-seconds S]

  --nodes            cluster sizes to run (default 6,20)
  --quick            a 10 s idle window after a 5 s warm-up, and one machine loss instead of the
                     median of five
  --only             run one side; relative targets are then not judged
  --idle-seconds     the idle window for CPU and traffic, overriding --quick
  --warmup-seconds   the wait between the join and the idle window, overriding --quick`

export function parseArgs (argv: readonly string[]): MeshArgs {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag)
    if (i < 0) return undefined
    const v = argv[i + 1]
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`)
    return v
  }
  const known = new Set(['--nodes', '--quick', '--only', '--idle-seconds', '--warmup-seconds', '--help'])
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown flag ${a}\n${USAGE}`)
  const quick = argv.includes('--quick')
  const nodes = (value('--nodes') ?? '6,20').split(',').map(Number)
  if (nodes.some((n) => !Number.isInteger(n) || n < 3)) throw new Error('--nodes: integers of at least 3 (one crash, one loss, one survivor)')
  const only = value('--only')
  if (only !== undefined && only !== 'serf' && only !== 'dreammesh') throw new Error(`--only serf|dreammesh, not ${only}`)
  const idleSeconds = value('--idle-seconds')
  const warmupSeconds = value('--warmup-seconds')
  for (const [flag, v] of [['--idle-seconds', idleSeconds], ['--warmup-seconds', warmupSeconds]] as const) {
    if (v !== undefined && !(Number(v) >= 0)) throw new Error(`${flag}: a number of seconds, not ${v}`)
  }
  return {
    nodes,
    quick,
    only,
    bounds: {
      joinLimitMs: 60_000,
      detectLimitMs: 60_000,
      idleWindowMs: idleSeconds !== undefined ? Number(idleSeconds) * 1000 : quick ? QUICK_IDLE_WINDOW_MS : IDLE_WINDOW_MS,
      warmupMs: warmupSeconds !== undefined ? Number(warmupSeconds) * 1000 : quick ? QUICK_WARMUP_MS : WARMUP_MS,
      lossRuns: quick ? QUICK_LOSS_RUNS : LOSS_RUNS,
      settleMs: 2_000
    }
  }
}
