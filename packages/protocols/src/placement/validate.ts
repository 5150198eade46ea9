import * as L from './limits.js'
import {
  PREFERENCE_TARGETS,
  RESTART_MODES,
  WORKLOAD_KINDS,
  type Constraints,
  type HealthCheck,
  type Preference,
  type Resources,
  type RestartPolicy,
  type VmGuest,
  type WorkloadKind,
  type WorkloadSpec
} from './spec.js'

/** The verdict on a spec: the validated spec, or every problem found, each prefixed with its field path. */
export type SpecValidation =
  | { ok: true, spec: WorkloadSpec }
  | { ok: false, problems: string[] }

const TOP_FIELDS = new Set([
  'name', 'kind', 'command', 'args', 'env', 'cwd', 'replicas', 'minInstances', 'maxInstances', 'maxPerNode', 'vm',
  'constraints', 'affinity', 'antiAffinity', 'resources', 'restart', 'health', 'stateDir', 'replicateStateEveryMs',
  'isolated', 'mountStateAt'
])

const NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
const STATE_DIR_SEGMENT_RE = /^[A-Za-z0-9._-]+$/

type Obj = Record<string, unknown>

/**
 * Checks an untrusted spec (parsed JSON or YAML, a CRDT entry, a CLI request) and fills in its defaults.
 * It never throws and never stops at the first problem: the user fixes a bad spec in one go. Problems read
 * `path: what is wrong`, e.g. `args[2]: must be a string`.
 */
export function validateWorkloadSpec (input: unknown): SpecValidation {
  const p = new Problems()
  try {
    const spec = readSpec(input, p)
    if (p.list.length > 0 || spec === undefined) return { ok: false, problems: p.list }
    return { ok: true, spec }
  } catch (err) {
    // A getter or proxy that throws: the spec cannot be read, and that is one more problem, not a crash.
    p.add('', `cannot be read (${err instanceof Error ? err.message : 'unknown error'})`)
    return { ok: false, problems: p.list }
  }
}

class Problems {
  readonly list: string[] = []
  add (path: string, what: string): void {
    this.list.push(path === '' ? `spec: ${what}` : `${path}: ${what}`)
  }
}

function readSpec (input: unknown, p: Problems): WorkloadSpec | undefined {
  if (!isObject(input)) {
    p.add('', 'must be an object')
    return undefined
  }
  const unknown = Object.keys(input).filter((k) => !TOP_FIELDS.has(k))
  if (unknown.length > 0) p.add('', `unknown ${unknown.length === 1 ? 'field' : 'fields'} ${quoteSome(unknown)}`)

  const name = readName(input.name, 'name', p)
  const kind = readKind(input.kind, p)
  const isVm = kind === 'vm'

  let command: string | undefined
  if (isVm) {
    if (input.command !== undefined) p.add('command', 'not used by kind vm: the guest is described by vm')
  } else if (input.command === undefined) {
    p.add('command', 'required')
  } else {
    command = readString(input.command, 'command', p, { maxBytes: L.MAX_COMMAND_BYTES })
  }
  let args: string[] = []
  if (isVm && input.args !== undefined) p.add('args', 'not used by kind vm: the guest is described by vm')
  else if (input.args !== undefined) args = readStringList(input.args, 'args', p, L.MAX_ARGS, L.MAX_ARG_BYTES, true) ?? []
  const env = readEnv(input.env, p)
  const cwd = input.cwd === undefined ? undefined : readAbsolutePath(input.cwd, 'cwd', p)

  const replicas = kindField(input, 'replicas', kind, ['replicated'], p, 1, L.MAX_INSTANCES)
  const minInstances = kindField(input, 'minInstances', kind, ['cluster-aware'], p, 0, L.MAX_INSTANCES)
  const maxInstances = kindField(input, 'maxInstances', kind, ['cluster-aware'], p, 1, L.MAX_INSTANCES)
  if (minInstances !== undefined && maxInstances !== undefined && minInstances > maxInstances) {
    p.add('minInstances', `must be at most maxInstances (${maxInstances})`)
  }
  let maxPerNode: number | undefined
  if (input.maxPerNode !== undefined) {
    if (kind !== undefined && kind !== 'replicated' && kind !== 'cluster-aware') p.add('maxPerNode', `only for kinds replicated and cluster-aware, not ${kind}`)
    else maxPerNode = readInt(input.maxPerNode, 'maxPerNode', p, 1, L.MAX_INSTANCES)
  } else if (kind === 'replicated' || kind === 'cluster-aware') {
    maxPerNode = 1
  }

  let vm: VmGuest | undefined
  if (isVm) {
    if (input.vm === undefined) p.add('vm', 'required for kind vm')
    else vm = readVm(input.vm, p)
  } else if (input.vm !== undefined && kind !== undefined) {
    p.add('vm', `only for kind vm, not ${kind}`)
  }

  const constraints = readConstraints(input.constraints, p)
  const affinity = readPreferences(input.affinity, 'affinity', p)
  const antiAffinity = readPreferences(input.antiAffinity, 'antiAffinity', p)
  const resources = readResources(input.resources, vm, p)
  const restart = readRestart(input.restart, p)
  const health = input.health === undefined ? undefined : readHealth(input.health, p)

  const stateDir = input.stateDir === undefined ? undefined : readStateDir(input.stateDir, p)
  let replicateStateEveryMs: number | undefined
  if (input.replicateStateEveryMs !== undefined) {
    replicateStateEveryMs = readInt(input.replicateStateEveryMs, 'replicateStateEveryMs', p, L.MIN_REPLICATE_STATE_EVERY_MS, L.MAX_REPLICATE_STATE_EVERY_MS)
    if (input.stateDir === undefined) p.add('replicateStateEveryMs', 'needs stateDir: there is no state to replicate')
  }
  let isolated = false
  if (input.isolated !== undefined) {
    if (typeof input.isolated !== 'boolean') p.add('isolated', 'must be true or false')
    else isolated = input.isolated
  }
  let mountStateAt: string | undefined
  if (input.mountStateAt !== undefined) {
    mountStateAt = readAbsolutePath(input.mountStateAt, 'mountStateAt', p)
    if (input.isolated !== true) p.add('mountStateAt', 'only with isolated: true (an unisolated instance sees the real path)')
    if (input.stateDir === undefined) p.add('mountStateAt', 'needs stateDir: there is no state to mount')
  }

  if (name === undefined || kind === undefined || resources === undefined || restart === undefined) return undefined
  const spec: WorkloadSpec = { name, kind, args, env: env ?? {}, constraints: constraints ?? {}, affinity: affinity ?? [], antiAffinity: antiAffinity ?? [], resources, restart, isolated }
  if (command !== undefined) spec.command = command
  if (cwd !== undefined) spec.cwd = cwd
  if (replicas !== undefined) spec.replicas = replicas
  if (minInstances !== undefined) spec.minInstances = minInstances
  if (maxInstances !== undefined) spec.maxInstances = maxInstances
  if (maxPerNode !== undefined) spec.maxPerNode = maxPerNode
  if (vm !== undefined) spec.vm = vm
  if (health !== undefined) spec.health = health
  if (stateDir !== undefined) spec.stateDir = stateDir
  if (replicateStateEveryMs !== undefined) spec.replicateStateEveryMs = replicateStateEveryMs
  if (mountStateAt !== undefined) spec.mountStateAt = mountStateAt
  return spec
}

function readName (v: unknown, path: string, p: Problems): string | undefined {
  if (v === undefined) { p.add(path, 'required'); return undefined }
  if (typeof v !== 'string') { p.add(path, 'must be a string'); return undefined }
  if (v.length > L.MAX_WORKLOAD_NAME_CHARS) { p.add(path, `at most ${L.MAX_WORKLOAD_NAME_CHARS} characters (got ${v.length})`); return undefined }
  if (!NAME_RE.test(v)) { p.add(path, 'lowercase letters, digits and inner dashes only (a DNS label)'); return undefined }
  return v
}

function readKind (v: unknown, p: Problems): WorkloadKind | undefined {
  if (v === undefined) { p.add('kind', `required, one of ${WORKLOAD_KINDS.join(', ')}`); return undefined }
  if (typeof v !== 'string' || !(WORKLOAD_KINDS as readonly string[]).includes(v)) {
    p.add('kind', `must be one of ${WORKLOAD_KINDS.join(', ')}`)
    return undefined
  }
  return v as WorkloadKind
}

/** A count that belongs to some kinds only: required there, refused elsewhere. */
function kindField (input: Obj, field: string, kind: WorkloadKind | undefined, kinds: WorkloadKind[], p: Problems, min: number, max: number): number | undefined {
  const v = input[field]
  if (kind === undefined) return v === undefined ? undefined : readInt(v, field, p, min, max)
  if (!kinds.includes(kind)) {
    if (v !== undefined) p.add(field, `only for kind ${kinds.join(', ')}, not ${kind}`)
    return undefined
  }
  if (v === undefined) { p.add(field, `required for kind ${kind}`); return undefined }
  return readInt(v, field, p, min, max)
}

function readVm (v: unknown, p: Problems): VmGuest | undefined {
  if (!isObject(v)) { p.add('vm', 'must be an object'); return undefined }
  const unknown = Object.keys(v).filter((k) => !['image', 'kernel', 'initrd', 'append', 'memoryMb', 'cpus'].includes(k))
  if (unknown.length > 0) p.add('vm', `unknown ${unknown.length === 1 ? 'field' : 'fields'} ${quoteSome(unknown)}`)
  const memoryMb = v.memoryMb === undefined ? req(p, 'vm.memoryMb') : readInt(v.memoryMb, 'vm.memoryMb', p, 1, L.MAX_VM_MEMORY_MB)
  const cpus = v.cpus === undefined ? req(p, 'vm.cpus') : readInt(v.cpus, 'vm.cpus', p, 1, L.MAX_VM_CPUS)
  if (v.image !== undefined && v.kernel !== undefined) { p.add('vm', 'either image or kernel, not both'); return undefined }
  if (v.image !== undefined) {
    if (v.initrd !== undefined) p.add('vm.initrd', 'only with kernel')
    if (v.append !== undefined) p.add('vm.append', 'only with kernel')
    const image = readPath(v.image, 'vm.image', p)
    if (image === undefined || memoryMb === undefined || cpus === undefined) return undefined
    return { image, memoryMb, cpus }
  }
  if (v.kernel === undefined) { p.add('vm', 'needs image or kernel'); return undefined }
  const kernel = readPath(v.kernel, 'vm.kernel', p)
  const initrd = v.initrd === undefined ? undefined : readPath(v.initrd, 'vm.initrd', p)
  const append = v.append === undefined ? undefined : readString(v.append, 'vm.append', p, { maxBytes: L.MAX_KERNEL_APPEND_BYTES, mayBeEmpty: true })
  if (kernel === undefined || memoryMb === undefined || cpus === undefined) return undefined
  const guest: VmGuest = { kernel, memoryMb, cpus }
  if (initrd !== undefined) guest.initrd = initrd
  if (append !== undefined) guest.append = append
  return guest
}

function readConstraints (v: unknown, p: Problems): Constraints | undefined {
  if (v === undefined) return {}
  if (!isObject(v)) { p.add('constraints', 'must be an object'); return undefined }
  const unknown = Object.keys(v).filter((k) => !['roles', 'tags', 'nodes'].includes(k))
  if (unknown.length > 0) p.add('constraints', `unknown ${unknown.length === 1 ? 'field' : 'fields'} ${quoteSome(unknown)}`)
  const out: Constraints = {}
  if (v.roles !== undefined) {
    const roles = readStringList(v.roles, 'constraints.roles', p, L.MAX_CONSTRAINT_VALUES, L.MAX_TAG_CHARS, false)
    if (roles !== undefined) {
      roles.forEach((r, i) => { if (r !== 'server' && r !== 'client') p.add(`constraints.roles[${i}]`, 'must be server or client') })
      out.roles = roles.filter((r) => r === 'server' || r === 'client')
    }
  }
  for (const field of ['tags', 'nodes'] as const) {
    if (v[field] === undefined) continue
    const list = readStringList(v[field], `constraints.${field}`, p, L.MAX_CONSTRAINT_VALUES, L.MAX_TAG_CHARS, false)
    if (list !== undefined) out[field] = list
  }
  return out
}

function readPreferences (v: unknown, path: string, p: Problems): Preference[] | undefined {
  if (v === undefined) return []
  if (!Array.isArray(v)) { p.add(path, 'must be a list'); return undefined }
  if (v.length > L.MAX_PREFERENCES) { p.add(path, `at most ${L.MAX_PREFERENCES} rules (got ${v.length})`); return undefined }
  const out: Preference[] = []
  v.forEach((rule: unknown, i) => {
    const at = `${path}[${i}]`
    if (!isObject(rule)) { p.add(at, 'must be an object { on, value, weight }'); return }
    const unknown = Object.keys(rule).filter((k) => !['on', 'value', 'weight'].includes(k))
    if (unknown.length > 0) p.add(at, `unknown ${unknown.length === 1 ? 'field' : 'fields'} ${quoteSome(unknown)}`)
    const on = rule.on
    const onOk = typeof on === 'string' && (PREFERENCE_TARGETS as readonly string[]).includes(on)
    if (!onOk) p.add(`${at}.on`, `must be one of ${PREFERENCE_TARGETS.join(', ')}`)
    const value = readString(rule.value, `${at}.value`, p, { maxChars: L.MAX_TAG_CHARS })
    if (onOk && on === 'role' && value !== undefined && value !== 'server' && value !== 'client') p.add(`${at}.value`, 'a role is server or client')
    const weight = rule.weight === undefined ? req(p, `${at}.weight`) : readInt(rule.weight, `${at}.weight`, p, 1, L.MAX_PREFERENCE_WEIGHT)
    if (onOk && value !== undefined && weight !== undefined) out.push({ on: on as Preference['on'], value, weight })
  })
  return out
}

function readResources (v: unknown, vm: VmGuest | undefined, p: Problems): Resources | undefined {
  // A guest books at least what qemu will take: its vCPUs as whole cores and its memory.
  const floor: Resources = vm === undefined
    ? { cpuMillis: 0, memoryBytes: 0 }
    : { cpuMillis: vm.cpus * 1_000, memoryBytes: vm.memoryMb * 2 ** 20 }
  const base: Resources = vm === undefined
    ? { cpuMillis: L.DEFAULT_CPU_MILLIS, memoryBytes: L.DEFAULT_MEMORY_BYTES }
    : floor
  if (v === undefined) return base
  if (!isObject(v)) { p.add('resources', 'must be an object { cpuMillis, memoryBytes }'); return undefined }
  const unknown = Object.keys(v).filter((k) => !['cpuMillis', 'memoryBytes'].includes(k))
  if (unknown.length > 0) p.add('resources', `unknown ${unknown.length === 1 ? 'field' : 'fields'} ${quoteSome(unknown)}`)
  const cpuMillis = v.cpuMillis === undefined ? base.cpuMillis : readInt(v.cpuMillis, 'resources.cpuMillis', p, 0, L.MAX_CPU_MILLIS)
  const memoryBytes = v.memoryBytes === undefined ? base.memoryBytes : readInt(v.memoryBytes, 'resources.memoryBytes', p, 0, L.MAX_MEMORY_BYTES)
  if (cpuMillis === undefined || memoryBytes === undefined) return undefined
  return { cpuMillis: Math.max(cpuMillis, floor.cpuMillis), memoryBytes: Math.max(memoryBytes, floor.memoryBytes) }
}

function readRestart (v: unknown, p: Problems): RestartPolicy | undefined {
  const d: RestartPolicy = {
    mode: 'on-failure',
    initialDelayMs: L.DEFAULT_RESTART_INITIAL_DELAY_MS,
    maxDelayMs: L.DEFAULT_RESTART_MAX_DELAY_MS,
    multiplier: L.DEFAULT_RESTART_MULTIPLIER,
    maxRestarts: L.DEFAULT_MAX_RESTARTS
  }
  if (v === undefined) return d
  if (!isObject(v)) { p.add('restart', 'must be an object'); return undefined }
  const unknown = Object.keys(v).filter((k) => !['mode', 'initialDelayMs', 'maxDelayMs', 'multiplier', 'maxRestarts'].includes(k))
  if (unknown.length > 0) p.add('restart', `unknown ${unknown.length === 1 ? 'field' : 'fields'} ${quoteSome(unknown)}`)
  let mode: RestartPolicy['mode'] | undefined = d.mode
  if (v.mode !== undefined) {
    if (typeof v.mode !== 'string' || !(RESTART_MODES as readonly string[]).includes(v.mode)) {
      p.add('restart.mode', `must be one of ${RESTART_MODES.join(', ')}`)
      mode = undefined
    } else {
      mode = v.mode as RestartPolicy['mode']
    }
  }
  const initialDelayMs = v.initialDelayMs === undefined ? d.initialDelayMs : readInt(v.initialDelayMs, 'restart.initialDelayMs', p, 0, L.MAX_RESTART_DELAY_MS)
  const maxDelayMs = v.maxDelayMs === undefined ? Math.max(d.maxDelayMs, initialDelayMs ?? 0) : readInt(v.maxDelayMs, 'restart.maxDelayMs', p, 0, L.MAX_RESTART_DELAY_MS)
  let multiplier: number | undefined = d.multiplier
  if (v.multiplier !== undefined) {
    if (typeof v.multiplier !== 'number' || !Number.isFinite(v.multiplier) || v.multiplier < 1 || v.multiplier > L.MAX_BACKOFF_MULTIPLIER) {
      p.add('restart.multiplier', `must be a number from 1 to ${L.MAX_BACKOFF_MULTIPLIER}`)
      multiplier = undefined
    } else {
      multiplier = v.multiplier
    }
  }
  const maxRestarts = v.maxRestarts === undefined ? d.maxRestarts : readInt(v.maxRestarts, 'restart.maxRestarts', p, 0, L.MAX_RESTARTS)
  if (initialDelayMs !== undefined && maxDelayMs !== undefined && maxDelayMs < initialDelayMs) {
    p.add('restart.maxDelayMs', `must be at least initialDelayMs (${initialDelayMs})`)
    return undefined
  }
  if (mode === undefined || initialDelayMs === undefined || maxDelayMs === undefined || multiplier === undefined || maxRestarts === undefined) return undefined
  return { mode, initialDelayMs, maxDelayMs, multiplier, maxRestarts }
}

function readHealth (v: unknown, p: Problems): HealthCheck | undefined {
  if (!isObject(v)) { p.add('health', 'must be an object'); return undefined }
  const unknown = Object.keys(v).filter((k) => !['check', 'port', 'url', 'args', 'intervalMs', 'timeoutMs', 'failures'].includes(k))
  if (unknown.length > 0) p.add('health', `unknown ${unknown.length === 1 ? 'field' : 'fields'} ${quoteSome(unknown)}`)
  const intervalMs = v.intervalMs === undefined ? L.DEFAULT_HEALTH_INTERVAL_MS : readInt(v.intervalMs, 'health.intervalMs', p, L.MIN_HEALTH_INTERVAL_MS, L.MAX_HEALTH_INTERVAL_MS)
  const timeoutMs = v.timeoutMs === undefined ? Math.min(L.DEFAULT_HEALTH_TIMEOUT_MS, intervalMs ?? Infinity) : readInt(v.timeoutMs, 'health.timeoutMs', p, 1, L.MAX_HEALTH_INTERVAL_MS)
  if (intervalMs !== undefined && timeoutMs !== undefined && timeoutMs > intervalMs) p.add('health.timeoutMs', `must be at most intervalMs (${intervalMs})`)
  const failures = v.failures === undefined ? L.DEFAULT_HEALTH_FAILURES : readInt(v.failures, 'health.failures', p, 1, L.MAX_HEALTH_FAILURES)
  const others = { tcp: ['url', 'args'], http: ['port', 'args'], command: ['port', 'url'] } as const
  let target: { check: 'tcp', port: number } | { check: 'http', url: string } | { check: 'command', args: string[] } | undefined
  switch (v.check) {
    case 'tcp': {
      const port = v.port === undefined ? req(p, 'health.port') : readInt(v.port, 'health.port', p, 1, 65_535)
      if (port !== undefined) target = { check: 'tcp', port }
      break
    }
    case 'http': {
      const url = v.url === undefined ? req(p, 'health.url') : readUrl(v.url, p)
      if (url !== undefined) target = { check: 'http', url }
      break
    }
    case 'command': {
      const args = v.args === undefined ? req(p, 'health.args') : readStringList(v.args, 'health.args', p, L.MAX_ARGS, L.MAX_ARG_BYTES, true)
      if (args !== undefined && args.length === 0) p.add('health.args', 'needs the program to run')
      else if (args !== undefined) target = { check: 'command', args }
      break
    }
    default:
      p.add('health.check', 'must be one of tcp, http, command')
  }
  if (v.check === 'tcp' || v.check === 'http' || v.check === 'command') {
    for (const f of others[v.check]) if (v[f] !== undefined) p.add(`health.${f}`, `not used by a ${v.check} check`)
  }
  if (target === undefined || intervalMs === undefined || timeoutMs === undefined || failures === undefined) return undefined
  return { ...target, intervalMs, timeoutMs, failures }
}

function readUrl (v: unknown, p: Problems): string | undefined {
  const s = readString(v, 'health.url', p, { maxBytes: L.MAX_URL_BYTES })
  if (s === undefined) return undefined
  let ok = false
  try {
    const u = new URL(s)
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
  } catch {
    ok = false
  }
  if (!ok) { p.add('health.url', 'must be an http:// or https:// URL'); return undefined }
  return s
}

function readStateDir (v: unknown, p: Problems): string | undefined {
  const s = readString(v, 'stateDir', p, { maxChars: L.MAX_STATE_DIR_CHARS })
  if (s === undefined) return undefined
  const segments = s.split('/')
  // Relative and confined: it is joined to the node's data dir, so '..', '.' and a leading '/' would escape or alias it.
  if (!segments.every((seg) => STATE_DIR_SEGMENT_RE.test(seg) && seg !== '.' && seg !== '..')) {
    p.add('stateDir', "a relative name: segments of letters, digits, '.', '_' and '-', no '.' or '..', no leading or double '/'")
    return undefined
  }
  return s
}

function readEnv (v: unknown, p: Problems): Record<string, string> | undefined {
  if (v === undefined) return {}
  if (!isObject(v)) { p.add('env', 'must be an object of NAME: value'); return undefined }
  const keys = Object.keys(v)
  if (keys.length > L.MAX_ENV_VARS) { p.add('env', `at most ${L.MAX_ENV_VARS} variables (got ${keys.length})`); return undefined }
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  let bytes = 0
  for (const k of keys) {
    const val = v[k]
    if (!ENV_NAME_RE.test(k)) p.add(`env.${k.slice(0, L.MAX_TAG_CHARS)}`, 'a name is letters, digits and _, not starting with a digit')
    if (typeof val !== 'string') { p.add(`env.${k.slice(0, L.MAX_TAG_CHARS)}`, 'must be a string'); continue }
    if (val.includes('\0')) p.add(`env.${k.slice(0, L.MAX_TAG_CHARS)}`, 'must not contain NUL')
    bytes += utf8Bytes(k, L.MAX_ENV_BYTES) + 1 + utf8Bytes(val, L.MAX_ENV_BYTES) + 1
    out[k] = val
  }
  if (bytes > L.MAX_ENV_BYTES) p.add('env', `at most ${L.MAX_ENV_BYTES} bytes in all, counting NAME=value and a NUL for each`)
  return { ...out }
}

function readStringList (v: unknown, path: string, p: Problems, maxItems: number, maxEach: number, eachInBytes: boolean): string[] | undefined {
  if (!Array.isArray(v)) { p.add(path, 'must be a list of strings'); return undefined }
  if (v.length > maxItems) { p.add(path, `at most ${maxItems} items (got ${v.length})`); return undefined }
  const out: string[] = []
  let ok = true
  v.forEach((item: unknown, i) => {
    const s = readString(item, `${path}[${i}]`, p, eachInBytes ? { maxBytes: maxEach, mayBeEmpty: true } : { maxChars: maxEach })
    if (s === undefined) ok = false
    else out.push(s)
  })
  return ok ? out : undefined
}

interface StringRule { maxBytes?: number, maxChars?: number, mayBeEmpty?: boolean }

function readString (v: unknown, path: string, p: Problems, rule: StringRule): string | undefined {
  if (typeof v !== 'string') { p.add(path, 'must be a string'); return undefined }
  if (v === '' && rule.mayBeEmpty !== true) { p.add(path, 'must not be empty'); return undefined }
  if (rule.maxChars !== undefined && v.length > rule.maxChars) { p.add(path, `at most ${rule.maxChars} characters (got ${v.length})`); return undefined }
  if (rule.maxBytes !== undefined) {
    if (utf8Bytes(v, rule.maxBytes) > rule.maxBytes) { p.add(path, `at most ${rule.maxBytes} bytes`); return undefined }
  }
  // Command lines, paths and environments are C strings on the other side.
  if (v.includes('\0')) { p.add(path, 'must not contain NUL'); return undefined }
  return v
}

function readPath (v: unknown, path: string, p: Problems): string | undefined {
  return readString(v, path, p, { maxBytes: L.MAX_PATH_BYTES })
}

function readAbsolutePath (v: unknown, path: string, p: Problems): string | undefined {
  const s = readPath(v, path, p)
  if (s === undefined) return undefined
  if (!s.startsWith('/')) { p.add(path, 'must be an absolute path'); return undefined }
  return s
}

function readInt (v: unknown, path: string, p: Problems, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) { p.add(path, `must be a whole number from ${min} to ${max}`); return undefined }
  if (v < min || v > max) { p.add(path, `must be from ${min} to ${max} (got ${v})`); return undefined }
  return v
}

function req (p: Problems, path: string): undefined {
  p.add(path, 'required')
  return undefined
}

function isObject (v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function quoteSome (names: string[]): string {
  const shown = names.slice(0, L.MAX_QUOTED_UNKNOWN_FIELDS).map((n) => JSON.stringify(n.slice(0, L.MAX_TAG_CHARS))).join(', ')
  return names.length > L.MAX_QUOTED_UNKNOWN_FIELDS ? `${shown} and ${names.length - L.MAX_QUOTED_UNKNOWN_FIELDS} more` : shown
}

/**
 * UTF-8 length without allocating. Strings here may be long and hostile, so counting stops a little past
 * `stopAfter`: the caller only needs to know the bound is broken.
 */
function utf8Bytes (s: string, stopAfter = Infinity): number {
  let n = 0
  for (let i = 0; i < s.length && n <= stopAfter; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 4; i++ } else n += 3
  }
  return n
}
