import { availableParallelism } from 'node:os'
import { flagHelp, parseFlags, UsageError, type FlagSpec } from '../cli-args.js'
import { runPlacementSeed, PLACEMENT_RUN_DEFAULTS } from '../scenarios/placement-run.js'
import { PLACEMENT_VARIANTS, type PlacementVariant } from '../scenarios/placement-variants.js'
import { formatSoakSummary, runPlacementSoak, type SoakSummary } from '../soak/placement-soak.js'
import type { Command } from './index.js'
import { ProgressBar } from './progress.js'

const flags: FlagSpec[] = [
  { name: 'seeds', kind: 'int', min: 1, max: 10_000_000, help: 'how many seeds (default 10,000)' },
  { name: 'seed-base', kind: 'int', min: 0, max: 0xffffffff, help: 'the first seed (default 1)' },
  {
    name: 'variant',
    kind: 'choice',
    choices: PLACEMENT_VARIANTS,
    help: 'a deliberately broken variant that must produce violations: no-drift-margin (lease machines with maxClockDriftPpm 0 ' +
      'under ±1,000 ppm clocks; runs a minute-long lease and the isolate-holder faults), start-on-dead (the host starts a copy on a dead verdict, without the lease)'
  },
  { name: 'shape', kind: 'choice', choices: ['default', 'isolate-holder'], help: 'the faults: the random mix (default), or the busiest machine cut off for a lease and a second, again and again, just after a renewal' },
  { name: 'long-lease', kind: 'boolean', help: 'a minute-long lease (with the drift allowance): the no-drift-margin variant\'s control (safety phase 250s by default)' },
  { name: 'workers', kind: 'int', min: 0, max: 256, help: 'worker threads (default: one per core; 0 runs in this thread)' },
  { name: 'safety', kind: 'duration', min: 60, max: 86_400, help: `the safety phase of each seed, with faults (default ${PLACEMENT_RUN_DEFAULTS.safetySeconds}s)` },
  { name: 'liveness', kind: 'duration', min: 6, max: 3_600, help: `the liveness phase of each seed, without faults (default ${PLACEMENT_RUN_DEFAULTS.livenessSeconds}s)` },
  { name: 'trace', kind: 'boolean', help: 'with --seeds 1: print the seed\'s timeline (boots, faults, acquisitions, starts, stops, kills)' },
  { name: 'json', kind: 'boolean', help: 'print the summary as one JSON object' }
]

export const placementCommand: Command = {
  name: 'placement',
  describe: 'the placement soak: membership, leases and the workload agent under crashes, partitions, drift and pauses',
  examples: [
    { command: 'dreammesh-sim placement --seeds 10000', description: 'the full soak (npm run soak:placement)' },
    { command: 'dreammesh-sim placement --seeds 1 --seed-base 4711 --trace', description: 'replay one seed and print its timeline' },
    { command: 'dreammesh-sim placement --seeds 20 --variant start-on-dead', description: 'a broken variant: it must report violations' }
  ],
  usage: () => [
    'Usage: dreammesh-sim placement [flags]',
    '',
    'Each seed runs 7 to 9 simulated nodes (5 or 6 servers, the lease voters, and 2 or 3 clients), each with the',
    'unmodified membership (home preset), lease (leaseConfig()) and workload-agent machines of the real node, on',
    'drifting clocks (±1,000 ppm) and a lossy network; a safety phase with partitions, crashes (of an agent or a',
    'whole machine) and pauses up to maxPauseMs; then a liveness phase. At every event it checks, on the true',
    'clock, that no two nodes run a process of one slot or hold a valid lease on it at once; after the faults stop,',
    'every slot must run on exactly one node within 5 s. It exits 1 on any violation or missed liveness, and',
    'prints each failing seed\'s replay command.',
    '',
    'Flags:',
    flagHelp(flags),
    '',
    'Examples:',
    ...placementCommand.examples.map((e) => `  ${e.command}\n      ${e.description}`)
  ].join('\n'),
  handler: async (argv, io) => {
    const v = parseFlags(argv, flags)
    const seeds = (v.seeds as number | undefined) ?? 10_000
    const seedBase = (v['seed-base'] as number | undefined) ?? 1
    const variant = v.variant as PlacementVariant | undefined
    const shape = v.shape as 'default' | 'isolate-holder' | undefined
    const safetySeconds = v.safety as number | undefined
    const livenessSeconds = v.liveness as number | undefined
    const longLease = v['long-lease'] === true ? true : undefined
    if (v.trace === true) {
      if (seeds !== 1) throw new UsageError('--trace replays one seed: use it with --seeds 1')
      const r = runPlacementSeed({ seed: seedBase, variant, shape, longLease, safetySeconds, livenessSeconds, trace: true })
      io.stdout.write((r.trace ?? []).join('\n') + '\n\n')
    }
    const workers = (v.workers as number | undefined) ?? (seeds === 1 ? 0 : availableParallelism())
    const bar = v.json !== true && io.stderr.isTTY === true ? new ProgressBar(io.stderr, 'soak') : undefined
    let lastLine = 0
    const progress = (done: number, s: SoakSummary): void => {
      const note = `${done}/${seeds} seeds, ${s.violationCount} violations, ${s.liveness.failedSeeds} liveness misses, ${Math.round(s.wallSeconds)} s`
      if (bar !== undefined) { bar.update(done / seeds, note); return }
      // Not a terminal (CI, a pipe): a line every 10%.
      const tenth = Math.floor(done * 10 / seeds)
      if (tenth > lastLine) { lastLine = tenth; io.stderr.write(`soak: ${note}\n`) }
    }
    const summary = await runPlacementSoak({ seeds, seedBase, variant, workers, safetySeconds, livenessSeconds, shape, longLease }, progress)
    bar?.done()
    io.stdout.write(v.json === true ? JSON.stringify(summary) + '\n' : formatSoakSummary(summary) + '\n')
    if (summary.violationCount > 0 || summary.liveness.failedSeeds > 0) {
      io.stderr.write(`${summary.violationCount} violation(s), ${summary.liveness.failedSeeds} seed(s) missed liveness: replay each with its command above.\n`)
      return 1
    }
    return 0
  }
}
