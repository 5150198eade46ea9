import type { Registry } from 'prom-client'

/** The value of one labelled series of a metric in `registry`, 0 when the series does not exist yet. */
export async function metricValue (registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name)
  if (metric === undefined) return 0
  const { values } = await metric.get()
  const match = values.find(v => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
  return match?.value ?? 0
}

/** Every series of `name` with the given `channel` label, as reason -> value. */
export async function droppedByReason (registry: Registry, channel: string): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric('dreammesh_dropped_total')
  const out: Record<string, number> = {}
  if (metric === undefined) return out
  for (const v of (await metric.get()).values) {
    if (v.labels.channel === channel) out[String(v.labels.reason)] = v.value
  }
  return out
}
