/**
 * The targets for dreammesh, each judged against serf's figure from the same run where it is
 * relative. A target whose inputs were not measured (only one side ran) is reported as not judged.
 */
import type { Figures } from './figures.ts'
import type { Prediction } from './sim-prediction.ts'

/** dreammesh detects a crash, and a lost machine, in at most this share of serf's time. */
export const DETECTION_SHARE_OF_SERF = 1 / 3
/** An idle node uses less than this share of one core, in percent. */
export const IDLE_CPU_PERCENT_MAX = 1
/** An idle node's resident memory, in MB. */
export const RSS_MB_MAX = 120
/** The simulator's machine-loss prediction is within this fraction of the measured figure. */
export const SIM_ERROR_FRACTION_MAX = 0.25

export interface Row {
  metric: string
  nodes: number
  serf: string
  dreammesh: string
  target: string
  /** true met, false missed, undefined not judged. */
  met: boolean | undefined
}

export function rowsFor (nodes: number, serf: Figures | undefined, dm: Figures | undefined, prediction: Prediction | string): Row[] {
  const ms = (x: number | undefined): string => x === undefined ? 'timeout' : `${(x / 1000).toFixed(2)} s`
  const side = <T>(f: Figures | undefined, pick: (f: Figures) => T, show: (x: T) => string): string => f === undefined ? '-' : show(pick(f))
  const relative = (pick: (f: Figures) => number | undefined, share: number): boolean | undefined => {
    if (serf === undefined || dm === undefined) return undefined
    const s = pick(serf)
    const d = pick(dm)
    if (d === undefined) return false
    return s === undefined ? true : d <= s * share
  }
  const absolute = (value: number | undefined, max: number, strict: boolean): boolean | undefined =>
    value === undefined ? undefined : strict ? value < max : value <= max

  const predicted = typeof prediction === 'string' ? undefined : prediction.medianMs
  const measuredLoss = dm?.machineLossMs
  const simMet = predicted === undefined || measuredLoss === undefined
    ? undefined
    : Math.abs(predicted - measuredLoss) <= SIM_ERROR_FRACTION_MAX * measuredLoss

  return [
    { metric: 'join convergence (alive or suspect)', nodes, serf: side(serf, (f) => f.joinMs, ms), dreammesh: side(dm, (f) => f.joinMs, ms), target: '<= serf', met: relative((f) => f.joinMs, 1) },
    { metric: 'crash detection (all survivors)', nodes, serf: side(serf, (f) => f.crashMs, ms), dreammesh: side(dm, (f) => f.crashMs, ms), target: '<= serf / 3', met: relative((f) => f.crashMs, DETECTION_SHARE_OF_SERF) },
    { metric: 'machine-loss detection (median of runs)', nodes, serf: side(serf, (f) => f.machineLossMs, ms), dreammesh: side(dm, (f) => f.machineLossMs, ms), target: '<= serf / 3', met: relative((f) => f.machineLossMs, DETECTION_SHARE_OF_SERF) },
    { metric: 'machine loss, simulator prediction', nodes, serf: '-', dreammesh: typeof prediction === 'string' ? prediction : `${ms(prediction.medianMs)} (median, ${prediction.seeds})`, target: `within ${SIM_ERROR_FRACTION_MAX * 100}% of measured`, met: simMet },
    { metric: 'idle CPU per agent (% of a core)', nodes, serf: side(serf, (f) => f.idleCpuPercent, pct), dreammesh: side(dm, (f) => f.idleCpuPercent, pct), target: `< ${IDLE_CPU_PERCENT_MAX}%`, met: absolute(dm?.idleCpuPercent, IDLE_CPU_PERCENT_MAX, true) },
    { metric: 'RSS per agent (max)', nodes, serf: side(serf, (f) => f.rssMaxMb, mb), dreammesh: side(dm, (f) => f.rssMaxMb, mb), target: `<= ${RSS_MB_MAX} MB`, met: absolute(dm?.rssMaxMb, RSS_MB_MAX, false) },
    { metric: 'bytes/s sent per agent (idle)', nodes, serf: side(serf, (f) => f.bytesPerSec, bps), dreammesh: side(dm, (f) => f.bytesPerSec, bps), target: 'report', met: undefined }
  ]
}

const pct = (x: number): string => `${x.toFixed(2)}%`
const mb = (x: number): string => `${x.toFixed(1)} MB`
const bps = (x: number): string => `${Math.round(x)} B/s`
