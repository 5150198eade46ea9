import { Gauge, Histogram, type Registry } from 'prom-client'
import type { GossipsubOpts } from '@libp2p/gossipsub'

type MetricsRegister = NonNullable<GossipsubOpts['metricsRegister']>
type Labels = Record<string, string | number>

/**
 * gossipsub's own metrics (its `MetricsRegister`) on a prom-client registry. Without them, what gossipsub
 * drops before a topic validator sees it (an undecodable RPC, a stream read error, an oversized message) is
 * counted nowhere; with them, `/metrics` shows `gossipsub_rpc_data_err_count_total`, `gossipsub_peer_read_stream_err_count_total`,
 * `gossipsub_rpc_recv_err_count_total` and the rest. Values are computed at scrape time, not per message.
 */
export function gossipsubMetricsRegister (registry: Registry): MetricsRegister {
  const gauge = (config: { name: string, help: string, labelNames?: readonly string[] }): PromGaugeAdapter => {
    const collectors: Array<(metric: PromGaugeAdapter) => void> = []
    const existing = registry.getSingleMetric(config.name) as Gauge | undefined
    const gauge = existing ?? new Gauge({
      name: config.name,
      help: config.help,
      labelNames: [...(config.labelNames ?? [])],
      registers: [registry],
      collect () { for (const fn of collectors) fn(adapter) }
    })
    const adapter: PromGaugeAdapter = {
      inc: (labelsOrValue?: Labels | number, value?: number) => {
        if (typeof labelsOrValue === 'object') gauge.inc(labelsOrValue, value ?? 1)
        else gauge.inc(labelsOrValue ?? 1)
      },
      set: (labelsOrValue: Labels | number, value?: number) => {
        if (typeof labelsOrValue === 'object') gauge.set(labelsOrValue, value ?? 0)
        else gauge.set(labelsOrValue)
      },
      addCollect: (fn: (metric: PromGaugeAdapter) => void) => { collectors.push(fn) }
    }
    return adapter
  }
  return {
    gauge: gauge as MetricsRegister['gauge'],
    histogram: ((config: { name: string, help: string, labelNames?: readonly string[], buckets?: number[] }) => {
      const histogram = (registry.getSingleMetric(config.name) as Histogram | undefined) ?? new Histogram({
        name: config.name,
        help: config.help,
        labelNames: [...(config.labelNames ?? [])],
        ...(config.buckets === undefined ? {} : { buckets: config.buckets }),
        registers: [registry]
      })
      return {
        startTimer: () => histogram.startTimer(),
        observe: (labelsOrValue: Labels | number, value?: number) => {
          if (typeof labelsOrValue === 'object') histogram.observe(labelsOrValue, value ?? 0)
          else histogram.observe(labelsOrValue)
        },
        reset: () => { histogram.reset() }
      }
    }) as MetricsRegister['histogram'],
    avgMinMax: ((config: { name: string, help: string, labelNames?: readonly string[] }) => {
      // Three gauges (name_avg, name_min, name_max) from the values gossipsub hands over at scrape time.
      const parts = (['avg', 'min', 'max'] as const).map(stat => gauge({ ...config, name: `${config.name}_${stat}` }))
      return {
        set: (labelsOrValues: Labels | number[], values?: number[]) => {
          const labels = Array.isArray(labelsOrValues) ? undefined : labelsOrValues
          const list = Array.isArray(labelsOrValues) ? labelsOrValues : values ?? []
          if (list.length === 0) return
          const stats = [list.reduce((a, b) => a + b, 0) / list.length, Math.min(...list), Math.max(...list)]
          parts.forEach((part, i) => { if (labels === undefined) part.set(stats[i]); else part.set(labels, stats[i]) })
        }
      }
    }) as MetricsRegister['avgMinMax']
  }
}

interface PromGaugeAdapter {
  inc: (labelsOrValue?: Labels | number, value?: number) => void
  set: (labelsOrValue: Labels | number, value?: number) => void
  addCollect: (fn: (metric: PromGaugeAdapter) => void) => void
}
