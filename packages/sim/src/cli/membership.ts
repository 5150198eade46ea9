import { flagHelp, parseFlags, UsageError, type FlagSpec } from '../cli-args.js'
import { RUN_DEFAULTS, runMembership, type MembershipRunOptions, type MembershipRunResult } from '../scenarios/membership-run.js'
import { BROKEN_VARIANTS } from '../scenarios/variants.js'
import type { Command } from './index.js'
import { ProgressBar } from './progress.js'

const flags: FlagSpec[] = [
  { name: 'nodes', kind: 'int', min: 2, max: 20000, help: 'members in the cluster (required)' },
  { name: 'seed', kind: 'int', min: 0, max: 0xffffffff, help: 'the seed; the same seed and flags give the same result (default 1)' },
  { name: 'preset', kind: 'choice', choices: ['lan', 'home', 'local', 'wan'], help: 'membership config preset (default lan; home is the real node\'s default)' },
  { name: 'loss', kind: 'fraction', help: 'packet loss, a fraction from 0 to 1 (default 0)' },
  { name: 'delay-ms', kind: 'number', min: 0.01, max: 10000, help: 'mean one-way delay in ms (default 0.2)' },
  { name: 'tail-share', kind: 'fraction', help: 'share of transmissions with an extra tail delay (default 0)' },
  { name: 'tail-ms', kind: 'number', min: 0, max: 60000, help: 'largest extra tail delay in ms (default 0)' },
  { name: 'transport', kind: 'choice', choices: ['packets', 'streams'], help: 'lossy packets, or reliable streams where loss is retransmit delay (default packets)' },
  { name: 'crash', kind: 'int', min: 0, help: 'members killed (kill -9) at random times in the safety phase (default 0)' },
  { name: 'machine-loss', kind: 'boolean', help: 'the crashes are lost machines: no connection closes, so only probes find them' },
  { name: 'pause-every-s', kind: 'number', min: 0, help: 'each pausing member pauses once this often, in seconds (default 0: never)' },
  { name: 'pause-ms', kind: 'number', min: 0, help: 'length of each pause in ms (default 0)' },
  { name: 'pause-share', kind: 'fraction', help: 'share of members that pause (default 0.01, at least one)' },
  { name: 'partition', kind: 'choice', choices: ['none', 'split', 'isolate', 'asymmetric'], help: 'a partition in the middle of the safety phase, healed after (default none)' },
  { name: 'duration', kind: 'duration', min: 1, help: 'total virtual time, e.g. 600s or 10m (default 120s)' },
  { name: 'liveness', kind: 'duration', min: 0, help: 'the final phase without crashes, pauses or partitions; loss and delay stay (default 30s)' },
  { name: 'joins', kind: 'int', min: 0, max: 1000, help: 'members that join the converged cluster one by one (default 0)' },
  { name: 'drift-ppm', kind: 'number', min: 0, max: 100000, help: 'clock rate spread, ± parts per million (default 100)' },
  {
    name: 'variant',
    kind: 'choice',
    choices: BROKEN_VARIANTS,
    help: 'a deliberately broken protocol, to watch the checks fire: suspicion-zero (suspicions end at once: refutation, ' +
      'and accuracy under loss), no-refutation (members never refute: refutation, convergence), slow-suspicion (50× the ' +
      'suspicion multiplier: completeness with --crash)'
  },
  { name: 'json', kind: 'boolean', help: 'print one JSON object instead of the table' }
]

export const membershipCommand: Command = {
  name: 'membership',
  describe: 'simulate SWIM + Lifeguard membership under faults and check its invariants',
  examples: [
    { command: 'dreammesh-sim membership --nodes 1000 --seed 7 --loss 0.01 --crash 10 --duration 600s', description: '1,000 members, 1% loss, 10 crashes, 10 virtual minutes' },
    { command: 'dreammesh-sim membership --nodes 100 --partition split --duration 180s --json', description: 'a split and its heal, as JSON' },
    { command: 'dreammesh-sim membership --nodes 20 --loss 0.05 --variant no-refutation', description: 'a broken variant: the run reports violations and a replay command' }
  ],
  usage: () => [
    'Usage: dreammesh-sim membership --nodes N [flags]',
    '',
    'Runs N unmodified membership state machines on a simulated network: a cold start, a safety phase with the',
    'faults you ask for (invariants checked on every event), then a liveness phase in which every view must',
    'converge within 10 s and no reachable live member may be declared dead. The liveness phase turns off',
    'crashes, pauses and partitions; packet loss and delay stay, as on a real LAN. It exits 1 if any invariant',
    'was violated, and prints the command that replays the run.',
    '',
    'Flags:',
    flagHelp(flags),
    '',
    'Examples:',
    ...membershipCommand.examples.map((e) => `  ${e.command}\n      ${e.description}`)
  ].join('\n'),
  handler: async (argv, io) => {
    const v = parseFlags(argv, flags)
    if (v.nodes === undefined) throw new UsageError('--nodes is required')
    const options: MembershipRunOptions = {
      ...RUN_DEFAULTS,
      nodes: v.nodes as number,
      seed: (v.seed as number | undefined) ?? 1,
      preset: (v.preset as MembershipRunOptions['preset'] | undefined) ?? RUN_DEFAULTS.preset,
      loss: (v.loss as number | undefined) ?? RUN_DEFAULTS.loss,
      delayMs: (v['delay-ms'] as number | undefined) ?? RUN_DEFAULTS.delayMs,
      tailShare: (v['tail-share'] as number | undefined) ?? RUN_DEFAULTS.tailShare,
      tailMs: (v['tail-ms'] as number | undefined) ?? RUN_DEFAULTS.tailMs,
      transport: (v.transport as MembershipRunOptions['transport'] | undefined) ?? RUN_DEFAULTS.transport,
      crash: (v.crash as number | undefined) ?? RUN_DEFAULTS.crash,
      machineLoss: v['machine-loss'] === true,
      pauseEverySeconds: (v['pause-every-s'] as number | undefined) ?? RUN_DEFAULTS.pauseEverySeconds,
      pauseMs: (v['pause-ms'] as number | undefined) ?? RUN_DEFAULTS.pauseMs,
      pauseShare: (v['pause-share'] as number | undefined) ?? RUN_DEFAULTS.pauseShare,
      partition: (v.partition as MembershipRunOptions['partition'] | undefined) ?? RUN_DEFAULTS.partition,
      durationSeconds: (v.duration as number | undefined) ?? RUN_DEFAULTS.durationSeconds,
      livenessSeconds: (v.liveness as number | undefined) ?? RUN_DEFAULTS.livenessSeconds,
      joins: (v.joins as number | undefined) ?? RUN_DEFAULTS.joins,
      driftPpm: (v['drift-ppm'] as number | undefined) ?? RUN_DEFAULTS.driftPpm,
      variant: v.variant as MembershipRunOptions['variant']
    }
    if (options.crash >= options.nodes) throw new UsageError(`--crash must be below --nodes (${options.nodes})`)
    if (options.livenessSeconds >= options.durationSeconds) throw new UsageError('--liveness must be shorter than --duration')
    if ((options.pauseEverySeconds > 0) !== (options.pauseMs > 0)) throw new UsageError('--pause-every-s and --pause-ms go together')
    const bar = v.json !== true && io.stderr.isTTY === true ? new ProgressBar(io.stderr, 'simulating') : undefined
    const result = runMembership({ ...options, onProgress: bar === undefined ? undefined : (f, t) => { bar.update(f, `${(t / 1000).toFixed(0)} s virtual`) } })
    bar?.done()
    io.stdout.write(v.json === true ? JSON.stringify(result) + '\n' : summary(result) + '\n')
    if (result.violations.length > 0) {
      io.stderr.write(`${result.violations.length} invariant violation(s). Reproduce with --seed=${result.seed}:\n  ${result.replay}\n`)
      return 1
    }
    return 0
  }
}

function summary (r: MembershipRunResult): string {
  const ms = (x: number | null): string => x === null ? 'n/a' : x >= 10000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`
  const rows: Array<[string, string]> = [
    ['nodes / seed', `${r.nodes} / ${r.seed}`],
    ['virtual / wall', `${r.virtualSeconds} s / ${r.wallSeconds} s`],
    ['phases', `cold start ${ms(r.phases.coldStartMs)}, safety ${ms(r.phases.safetyMs)}, liveness ${ms(r.phases.livenessMs)}`],
    ['cold start converged', ms(r.coldStartConvergedMs)],
    ['faults', `${r.faults.crashes} crashes, ${r.faults.pauses} pauses, ${r.faults.partitions} partitions, ${r.faults.joins} joins`],
    ['detection first', `p50 ${ms(r.detection.firstMs.p50)}, p99 ${ms(r.detection.firstMs.p99)} (${r.detection.firstMs.count} crashes)`],
    ['detection all', `p50 ${ms(r.detection.allMs.p50)}, p99 ${ms(r.detection.allMs.p99)}, missed ${r.detection.missed}`],
    ['join known to all', `p50 ${ms(r.joinAllMs.p50)}, p99 ${ms(r.joinAllMs.p99)} (${r.joinAllMs.count} joins), missed ${r.joinMissed}`],
    ['false positives', String(r.falsePositives)],
    ['load per node', `${r.msgsPerNodePerSec} msgs/s, ${r.bytesPerNodePerSec} bytes/s`],
    ['converged after faults', r.converged ? `yes, after ${ms(r.convergedAfterMs)}` : 'NO'],
    ['completeness bound', ms(r.completenessBoundMs)],
    ['violations', String(r.violations.length)]
  ]
  const width = Math.max(...rows.map((x) => x[0].length)) + 2
  const lines = rows.map(([k, val]) => `${k.padEnd(width)}${val}`)
  for (const v of r.violations.slice(0, 10)) lines.push(`  ${v.kind} at ${v.atMs.toFixed(0)} ms: ${v.detail}${v.subject !== undefined ? ` (${v.observer ?? '?'} about ${v.subject})` : ''}`)
  lines.push(`replay: ${r.replay}`)
  return lines.join('\n')
}
