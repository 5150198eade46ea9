import { validateWorkloadSpec, Xoshiro128, type MemberRole, type Resources, type Rng, type WorkloadSpec } from '@dreammesh/protocols'

/**
 * The desired state of the placement simulations: workload specs (validated exactly as the real node
 * validates what it reads from the desired-state document) and what each simulated machine offers.
 */

const MiB = 2 ** 20
const GiB = 2 ** 30

/** What a machine offers placement, by role: a small server, and a desktop that runs a few things. */
export function capacityOf (role: MemberRole): Resources {
  return role === 'server' ? { cpuMillis: 4_000, memoryBytes: 8 * GiB } : { cpuMillis: 2_000, memoryBytes: 4 * GiB }
}

/** A spec through the real validator; a spec this file builds is valid by construction, or the run stops. */
function valid (input: object): WorkloadSpec {
  const v = validateWorkloadSpec(input)
  if (!v.ok) throw new Error(`a simulated spec is invalid: ${v.problems.join('; ')}`)
  return v.spec
}

export interface SoakSpecOptions {
  /**
   * The no-drift-margin variant's shape: 16 singletons, all on client machines (whose clocks run slow while
   * the voters' run fast), so each isolation of the busiest client moves many leases across the drift error.
   */
  servicesOnClients?: boolean
}

/**
 * A soak seed's workloads, fixed by its rng: 6 to 10 `service` singletons (some only on servers, some with a
 * state dir, which adds the `prepare` step between grant and start) and 1 or 2 `replicated` workloads of 2 or
 * 3 replicas, one per node. Requests are small, so everything fits on the cluster even with a node down.
 */
export function soakSpecs (rng: Rng, o: SoakSpecOptions = {}): WorkloadSpec[] {
  const specs: WorkloadSpec[] = []
  const services = o.servicesOnClients === true ? 16 : 6 + rng.int(5)
  for (let i = 0; i < services; i++) {
    const roll = rng.float()
    const constraints = o.servicesOnClients === true ? { roles: ['client'] } : roll < 0.3 ? { roles: ['server'] } : {}
    specs.push(valid({
      name: `svc-${i}`,
      kind: 'service',
      command: '/usr/bin/svc',
      constraints,
      ...(rng.float() < 0.25 ? { stateDir: `svc-${i}` } : {}),
      // Shaped: small enough that all 16 fit on one client, wherever the isolations push them.
      resources: o.servicesOnClients === true ? { cpuMillis: 50, memoryBytes: 64 * MiB } : { cpuMillis: 50 + 50 * rng.int(8), memoryBytes: 64 * MiB * (1 + rng.int(6)) }
    }))
  }
  const replicated = 1 + rng.int(2)
  for (let i = 0; i < replicated; i++) {
    specs.push(valid({
      name: `rep-${i}`,
      kind: 'replicated',
      command: '/usr/bin/rep',
      replicas: 2 + rng.int(2),
      resources: { cpuMillis: 100, memoryBytes: 128 * MiB }
    }))
  }
  return specs
}

/** The benchmark's machines: 100, of which the first 5 are servers (the lease voters). */
export const BENCH_NODES = 100
export const BENCH_SERVERS = 5

/** The benchmark's capacity by role: the shape of packages/protocols/test/placement-perf.spec.ts. */
export function benchCapacityOf (role: MemberRole): Resources {
  return role === 'server' ? { cpuMillis: 64_000, memoryBytes: 256 * GiB } : { cpuMillis: 8_000, memoryBytes: 16 * GiB }
}

/** The benchmark's machine tags, by index: every third client has a display. */
export function benchTagsOf (index: number): string[] {
  return index < BENCH_SERVERS ? ['kvm', 'ssd'] : index % 3 === 0 ? ['display'] : []
}

/**
 * The benchmark's 1,000 workloads, as placement-perf.spec.ts builds them: every 50th a `system` workload,
 * every 10th a 3-replica `replicated` one, the rest `service` singletons; a quarter only on servers, some
 * only on display clients, every 5th near the one before it.
 */
export function benchSpecs (): WorkloadSpec[] {
  const rng = new Xoshiro128(5)
  return Array.from({ length: 1_000 }, (_, i) => {
    const kind = i % 50 === 0 ? 'system' : i % 10 === 0 ? 'replicated' : 'service'
    return valid({
      name: `w${i}`,
      kind,
      command: 'run',
      ...(kind === 'replicated' ? { replicas: 3 } : {}),
      ...(i % 4 === 0 ? { constraints: { roles: ['server'] } } : i % 7 === 0 ? { constraints: { tags: ['display'] } } : {}),
      ...(i % 5 === 0 ? { affinity: [{ on: 'workload', value: `w${i - 1}`, weight: 50 }] } : {}),
      resources: { cpuMillis: 10 * (1 + rng.int(20)), memoryBytes: 2 ** 24 * (1 + rng.int(16)) }
    })
  })
}
