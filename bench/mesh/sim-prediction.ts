/**
 * The simulator's prediction of machine-loss detection for the same N: dreammesh's membership machine with
 * the `home` preset (the real node's default, which the bench's agents run), one lost machine per run (no
 * connection closes, so no peer gets the connection-closed hint that a killed process's RST gives), the
 * median "known to all" over several seeds. Runs in this process, in virtual time: a few seconds.
 *
 * Until session 6 this ran process crashes, whose closed connections make every survivor probe at once:
 * it predicted 1.5 s at N=6 for what the real cluster, where nothing closes, took 1.8 to 2.3 s.
 */
import type { MembershipRunResult, TransportModel } from '@dreammesh/sim'

/** Seeds per prediction; each run yields one detection sample. 20 left the median itself 0.25 s unsure. */
const SEEDS = 60
const FIRST_SEED = 4_200
/** Virtual seconds per run: enough for cold start, one crash and its detection. */
const RUN_SECONDS = 40
const LIVENESS_SECONDS = 10
/** The real node carries membership over libp2p streams (TCP), so the simulated network models streams. */
const TRANSPORT: TransportModel = 'streams'
/** The preset `dreammesh up` runs by default (and so the bench's agents). */
const PRESET = 'home' as const

export interface Prediction { medianMs: number, samples: number, seeds: string }

/** The prediction, or a reason it could not be made (the simulator not built, say). */
export async function predictMachineLossMs (nodes: number): Promise<Prediction | string> {
  let sim: typeof import('@dreammesh/sim')
  try {
    sim = await import('@dreammesh/sim')
  } catch (err) {
    return `simulator not available (npm run build): ${(err as Error).message.split('\n')[0]}`
  }
  const samples: number[] = []
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    const r: MembershipRunResult = sim.runMembership({ ...sim.RUN_DEFAULTS, preset: PRESET, nodes, seed, crash: 1, machineLoss: true, transport: TRANSPORT, durationSeconds: RUN_SECONDS, livenessSeconds: LIVENESS_SECONDS })
    samples.push(...r.samples.detectionAllMs)
  }
  if (samples.length === 0) return 'the simulator recorded no detection'
  samples.sort((a, b) => a - b)
  return { medianMs: samples[Math.floor(samples.length / 2)], samples: samples.length, seeds: `seeds ${FIRST_SEED}..${FIRST_SEED + SEEDS - 1}` }
}
