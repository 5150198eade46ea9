import assert from 'node:assert/strict'
import * as L from '../src/placement/limits.js'
import { restartDelayMs, type RestartPolicy } from '../src/placement/spec.js'
import { validateWorkloadSpec } from '../src/placement/validate.js'

function problemsOf (input: unknown): string[] {
  const v = validateWorkloadSpec(input)
  if (v.ok) assert.fail(`expected problems, got a valid spec: ${JSON.stringify(v.spec)}`)
  return v.ok ? [] : v.problems
}

function has (problems: string[], path: string, fragment = ''): void {
  assert.ok(problems.some((p) => p.startsWith(`${path}: `) && p.includes(fragment)), `no problem at ${path} (${fragment}) in:\n  ${problems.join('\n  ')}`)
}

describe('placement: validateWorkloadSpec', () => {
  it('accepts a minimal service and fills in every default', () => {
    const v = validateWorkloadSpec({ name: 'web', kind: 'service', command: '/usr/bin/web' })
    assert.ok(v.ok)
    assert.deepEqual(v.spec, {
      name: 'web',
      kind: 'service',
      command: '/usr/bin/web',
      args: [],
      env: {},
      constraints: {},
      affinity: [],
      antiAffinity: [],
      resources: { cpuMillis: L.DEFAULT_CPU_MILLIS, memoryBytes: L.DEFAULT_MEMORY_BYTES },
      restart: { mode: 'on-failure', initialDelayMs: 1_000, maxDelayMs: 60_000, multiplier: 2, maxRestarts: 100 },
      isolated: false
    })
  })

  it('accepts a full spec of every kind', () => {
    const full = {
      name: 'db-1',
      kind: 'replicated',
      command: 'postgres',
      args: ['-D', '/data'],
      env: { PGPORT: '5432', LANG: 'C.UTF-8' },
      cwd: '/srv',
      replicas: 3,
      maxPerNode: 2,
      constraints: { roles: ['server'], tags: ['ssd'], nodes: ['alpha', 'beta'] },
      affinity: [{ on: 'tag', value: 'fast', weight: 50 }],
      antiAffinity: [{ on: 'workload', value: 'backup', weight: 100 }],
      resources: { cpuMillis: 500, memoryBytes: 2 ** 30 },
      restart: { mode: 'always', initialDelayMs: 0, maxDelayMs: 5_000, multiplier: 1.5, maxRestarts: 0 },
      health: { check: 'tcp', port: 5432, intervalMs: 1_000, timeoutMs: 500, failures: 2 },
      stateDir: 'db/main',
      replicateStateEveryMs: 60_000,
      isolated: true,
      mountStateAt: '/var/lib/postgresql'
    }
    const v = validateWorkloadSpec(full)
    assert.ok(v.ok, v.ok ? '' : v.problems.join('; '))
    assert.deepEqual(v.spec, full)
    for (const extra of [
      { kind: 'service' },
      { kind: 'system' },
      { kind: 'cluster-aware', minInstances: 0, maxInstances: 4 },
      { kind: 'http', health: { check: 'http', url: 'http://127.0.0.1:8080/health' } }
    ]) {
      const v2 = validateWorkloadSpec({ name: 'x', command: 'x', ...(extra.kind === 'http' ? { kind: 'service', health: extra.health } : extra) })
      assert.ok(v2.ok, `${JSON.stringify(extra)}: ${v2.ok ? '' : v2.problems.join('; ')}`)
    }
    const cmd = validateWorkloadSpec({ name: 'x', kind: 'service', command: 'x', health: { check: 'command', args: ['pg_isready'] } })
    assert.ok(cmd.ok && cmd.spec.health?.check === 'command' && cmd.spec.health.timeoutMs === L.DEFAULT_HEALTH_TIMEOUT_MS)
  })

  it('a vm books at least its guest: vCPUs as whole cores and its memory', () => {
    const v = validateWorkloadSpec({ name: 'win', kind: 'vm', vm: { image: '/vm/win.qcow2', memoryMb: 4096, cpus: 2 }, resources: { cpuMillis: 500 } })
    assert.ok(v.ok, v.ok ? '' : v.problems.join('; '))
    assert.deepEqual(v.spec.resources, { cpuMillis: 2_000, memoryBytes: 4096 * 2 ** 20 })
    assert.equal(v.spec.command, undefined)
    const k = validateWorkloadSpec({ name: 'k', kind: 'vm', vm: { kernel: '/vm/bzImage', initrd: '/vm/initrd', append: 'console=ttyS0', memoryMb: 512, cpus: 1 } })
    assert.ok(k.ok, k.ok ? '' : k.problems.join('; '))
    assert.deepEqual(k.spec.vm, { kernel: '/vm/bzImage', initrd: '/vm/initrd', append: 'console=ttyS0', memoryMb: 512, cpus: 1 })
    const f = validateWorkloadSpec({ name: 'f', kind: 'vm', vm: { kernel: '/vm/bzImage', memoryMb: 64, cpus: 1, forward: [{ host: 18080, guest: 80 }] } })
    assert.ok(f.ok)
    assert.deepEqual(f.spec.vm, { kernel: '/vm/bzImage', memoryMb: 64, cpus: 1, forward: [{ host: 18080, guest: 80 }] })
  })

  it('lists every problem of a spec with many bad fields, each with its path', () => {
    const problems = problemsOf({
      name: 'Bad_Name',
      kind: 'service',
      command: 42,
      args: ['ok', 7, 'x'.repeat(L.MAX_ARG_BYTES + 1)],
      env: { '1BAD': 'v', GOOD: 3 },
      cwd: 'relative/dir',
      replicas: 3,
      vm: { image: '/x', memoryMb: 1, cpus: 1 },
      constraints: { roles: ['king'], tags: 'gpu', colour: 'red' },
      affinity: [{ on: 'mood', value: 'x', weight: 0 }],
      antiAffinity: 'no',
      resources: { cpuMillis: -1, memoryBytes: 1.5 },
      restart: { mode: 'sometimes', initialDelayMs: 10, maxDelayMs: 5, multiplier: 0.5, maxRestarts: -2 },
      health: { check: 'tcp', port: 70_000, intervalMs: 10, timeoutMs: 20, failures: 0, url: 'http://x' },
      stateDir: '../escape',
      replicateStateEveryMs: 5,
      isolated: 'yes',
      mountStateAt: 'not/absolute',
      colour: 'blue'
    })
    has(problems, 'spec', 'unknown field "colour"')
    has(problems, 'name', 'DNS label')
    has(problems, 'command', 'string')
    has(problems, 'args[1]', 'string')
    has(problems, 'args[2]', `at most ${L.MAX_ARG_BYTES} bytes`)
    has(problems, 'env.1BAD', 'name')
    has(problems, 'env.GOOD', 'string')
    has(problems, 'cwd', 'absolute')
    has(problems, 'replicas', 'only for kind replicated')
    has(problems, 'vm', 'only for kind vm')
    has(problems, 'constraints', 'unknown field "colour"')
    has(problems, 'constraints.roles[0]', 'server or client')
    has(problems, 'constraints.tags', 'list')
    has(problems, 'affinity[0].on', 'one of')
    has(problems, 'affinity[0].weight', 'from 1 to 100')
    has(problems, 'antiAffinity', 'list')
    has(problems, 'resources.cpuMillis', 'from 0')
    has(problems, 'resources.memoryBytes', 'whole number')
    has(problems, 'restart.mode', 'one of')
    has(problems, 'restart.multiplier', 'from 1')
    has(problems, 'restart.maxRestarts', 'from 0')
    has(problems, 'restart.maxDelayMs', 'at least initialDelayMs')
    has(problems, 'health.port', 'from 1 to 65535')
    has(problems, 'health.intervalMs', `from ${L.MIN_HEALTH_INTERVAL_MS}`)
    has(problems, 'health.failures', 'from 1')
    has(problems, 'health.url', 'not used by a tcp check')
    has(problems, 'stateDir', 'relative name')
    has(problems, 'replicateStateEveryMs', `from ${L.MIN_REPLICATE_STATE_EVERY_MS}`)
    has(problems, 'isolated', 'true or false')
    has(problems, 'mountStateAt', 'absolute')
    has(problems, 'mountStateAt', 'only with isolated')
    assert.ok(problems.length >= 31, `${problems.length} problems`)
  })

  it('names what a kind requires and refuses what it does not use', () => {
    has(problemsOf({ name: 'r', kind: 'replicated', command: 'x' }), 'replicas', 'required')
    const ca = problemsOf({ name: 'c', kind: 'cluster-aware', command: 'x', minInstances: 5, maxInstances: 2 })
    has(ca, 'minInstances', 'at most maxInstances')
    has(problemsOf({ name: 'c', kind: 'cluster-aware', command: 'x' }), 'maxInstances', 'required')
    has(problemsOf({ name: 's', kind: 'service', command: 'x', maxPerNode: 2 }), 'maxPerNode', 'only for kinds replicated and cluster-aware')
    has(problemsOf({ name: 's', kind: 'service' }), 'command', 'required')
    has(problemsOf({ name: 's', kind: 'pod', command: 'x' }), 'kind', 'one of')
    has(problemsOf({ kind: 'service', command: 'x' }), 'name', 'required')
    const vm = problemsOf({ name: 'v', kind: 'vm', command: 'qemu', args: ['-m'], vm: { image: '/a', kernel: '/b', memoryMb: 0 } })
    has(vm, 'command', 'not used by kind vm')
    has(vm, 'args', 'not used by kind vm')
    has(vm, 'vm', 'either image or kernel')
    has(vm, 'vm.memoryMb', 'from 1')
    has(vm, 'vm.cpus', 'required')
    has(problemsOf({ name: 'v', kind: 'vm' }), 'vm', 'required for kind vm')
    has(problemsOf({ name: 'v', kind: 'vm', vm: { memoryMb: 1, cpus: 1 } }), 'vm', 'needs image or kernel')
    has(problemsOf({ name: 'v', kind: 'vm', vm: { image: '/a', initrd: '/i', memoryMb: 1, cpus: 1 } }), 'vm.initrd', 'only with kernel')
    const fw = problemsOf({ name: 'v', kind: 'vm', vm: { kernel: '/k', memoryMb: 64, cpus: 1, forward: [{ host: 8080, guest: 80 }, { host: 8080, guest: 81 }, { host: 0, guest: 1 }, { guest: 2 }, 'x'] } })
    has(fw, 'vm.forward[1].host', 'forwarded twice')
    has(fw, 'vm.forward[2].host', 'from 1')
    has(fw, 'vm.forward[3].host', 'required')
    has(fw, 'vm.forward[4]', 'must be { host, guest }')
    has(problemsOf({ name: 'v', kind: 'vm', vm: { kernel: '/k', memoryMb: 64, cpus: 1, forward: 'all' } }), 'vm.forward', 'list')
    has(problemsOf({ name: 's', kind: 'service', command: 'x', mountStateAt: '/m', isolated: true }), 'mountStateAt', 'needs stateDir')
    has(problemsOf({ name: 's', kind: 'service', command: 'x', replicateStateEveryMs: 60_000 }), 'replicateStateEveryMs', 'needs stateDir')
    has(problemsOf({ name: 's', kind: 'service', command: 'x', health: { check: 'http', url: 'ftp://x/' } }), 'health.url', 'http')
    has(problemsOf({ name: 's', kind: 'service', command: 'x', health: { check: 'command', args: [] } }), 'health.args', 'program')
    has(problemsOf({ name: 's', kind: 'service', command: 'x', affinity: [{ on: 'role', value: 'king', weight: 1 }] }), 'affinity[0].value', 'role')
  })

  it('enforces its bounds with the named constants', () => {
    const base = { kind: 'service', command: 'x' }
    assert.ok(validateWorkloadSpec({ ...base, name: 'a'.repeat(L.MAX_WORKLOAD_NAME_CHARS) }).ok, 'a name at the bound is fine')
    has(problemsOf({ ...base, name: 'a'.repeat(L.MAX_WORKLOAD_NAME_CHARS + 1) }), 'name', `at most ${L.MAX_WORKLOAD_NAME_CHARS}`)
    assert.ok(validateWorkloadSpec({ ...base, name: 'a', args: Array(L.MAX_ARGS).fill('x') }).ok)
    has(problemsOf({ ...base, name: 'a', args: Array(L.MAX_ARGS + 1).fill('x') }), 'args', `at most ${L.MAX_ARGS}`)
    const env = (n: number, bytes: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${i}`, 'x'.repeat(bytes)]))
    has(problemsOf({ ...base, name: 'a', env: env(L.MAX_ENV_VARS + 1, 1) }), 'env', `at most ${L.MAX_ENV_VARS} variables`)
    // 16 variables "Vn=" + value + NUL: 4 + 2,000 + 1 bytes each fits; 2,100 does not.
    assert.ok(validateWorkloadSpec({ ...base, name: 'a', env: env(16, 2_000) }).ok)
    has(problemsOf({ ...base, name: 'a', env: env(16, 2_100) }), 'env', `at most ${L.MAX_ENV_BYTES} bytes`)
    has(problemsOf({ ...base, name: 'a', constraints: { tags: Array(L.MAX_CONSTRAINT_VALUES + 1).fill('t') } }), 'constraints.tags', 'at most')
    has(problemsOf({ ...base, name: 'a', affinity: Array(L.MAX_PREFERENCES + 1).fill({ on: 'tag', value: 't', weight: 1 }) }), 'affinity', `at most ${L.MAX_PREFERENCES}`)
    has(problemsOf({ ...base, name: 'a', command: 'é'.repeat(L.MAX_COMMAND_BYTES / 2 + 1) }), 'command', 'bytes')
    assert.ok(validateWorkloadSpec({ ...base, name: 'a', command: 'é'.repeat(L.MAX_COMMAND_BYTES / 2) }).ok)
    has(problemsOf({ ...base, name: 'a', command: 'a\0b' }), 'command', 'NUL')
  })

  it('never throws, whatever it is given', () => {
    const hostile = new Proxy({}, { ownKeys () { throw new Error('boom') } })
    const throwing = { name: 'x', kind: 'service', get command () { throw new Error('getter') } }
    for (const input of [undefined, null, 0, 'spec', [], [1, 2], hostile, throwing, { name: {}, kind: [], args: {}, env: [], constraints: [], restart: 1, health: 'x', vm: null }]) {
      const v = validateWorkloadSpec(input)
      assert.equal(v.ok, false)
      assert.ok(!v.ok && v.problems.length > 0)
    }
    has(problemsOf(throwing), 'spec', 'cannot be read (getter)')
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, i]))
    const p = problemsOf({ name: 'a', kind: 'service', command: 'x', ...many })
    assert.equal(p.length, 1)
    assert.match(p[0], /and 92 more/)
  })
})

describe('placement: restartDelayMs', () => {
  const policy: RestartPolicy = { mode: 'on-failure', initialDelayMs: 1_000, maxDelayMs: 60_000, multiplier: 2, maxRestarts: 10 }

  it('grows by the multiplier up to the cap, and stops after maxRestarts', () => {
    assert.deepEqual([0, 1, 2, 5, 6, 9].map((n) => restartDelayMs(policy, n)), [1_000, 2_000, 4_000, 32_000, 60_000, 60_000])
    assert.equal(restartDelayMs(policy, 10), undefined)
    assert.equal(restartDelayMs({ ...policy, mode: 'never' }, 0), undefined)
    assert.equal(restartDelayMs({ ...policy, maxRestarts: L.MAX_RESTARTS, multiplier: L.MAX_BACKOFF_MULTIPLIER }, L.MAX_RESTARTS - 1), 60_000)
  })
})
