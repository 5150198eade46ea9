import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client'

/** The API's own metrics, as registered in one registry. */
export interface ApiMetrics {
  /** Every answer, by route template (bounded: never the raw path) and HTTP status. */
  requests: Counter<'route' | 'status'>
  /** Event streams open now. */
  eventStreams: Gauge
  /** Event streams cut off because their client fell more than the backlog bound behind. */
  eventOverflows: Counter
}

/** A metric every prom-client default set has, used to tell whether one is registered already. */
const DEFAULT_METRICS_MARKER = 'process_cpu_user_seconds_total'

/**
 * A prom-client registry with the process's default metrics and the API's counters, for the node to
 * register its own gauges into (members by state, membership counters) and to hand to libp2p's
 * prometheus metrics and to `startApiServer({ registry })`.
 */
/** How often the event-loop delay is sampled for `nodejs_eventloop_lag_*`, in ms. */
export const EVENT_LOOP_MONITOR_RESOLUTION_MS = 1_000

export function createMetricsRegistry (): Registry {
  const registry = new Registry()
  instrumentRegistry(registry)
  return registry
}

/**
 * Adds the default process metrics and the API's metrics to `registry`, unless they are there already, and
 * returns the API's. Idempotent, so a server restarted on the same registry does not throw on a duplicate.
 */
export function instrumentRegistry (registry: Registry): ApiMetrics {
  if (registry.getSingleMetric(DEFAULT_METRICS_MARKER) === undefined) {
    // prom-client samples event-loop delay with a libuv timer every 10 ms by default: 100 wakeups a second
    // that cost an idle node several percent of a core (measured: 7.7% -> under 1%). One a second is enough
    // for a dashboard, and the issue wants an idle node below 1% of a core.
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITOR_RESOLUTION_MS })
  }
  return {
    requests: existing(registry, 'dreammesh_api_requests_total') ?? new Counter({
      name: 'dreammesh_api_requests_total',
      help: 'Local API answers, by route template and HTTP status (errors included).',
      labelNames: ['route', 'status'] as const,
      registers: [registry]
    }),
    eventStreams: existing(registry, 'dreammesh_api_event_streams') ?? new Gauge({
      name: 'dreammesh_api_event_streams',
      help: 'Open /v1/events streams.',
      registers: [registry]
    }),
    eventOverflows: existing(registry, 'dreammesh_api_event_overflows_total') ?? new Counter({
      name: 'dreammesh_api_event_overflows_total',
      help: '/v1/events streams closed because the client fell too far behind.',
      registers: [registry]
    })
  }
}

function existing<T extends Metric<string>> (registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined
}
