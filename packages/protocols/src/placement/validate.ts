import * as L from './limits.js'
import { isObject, Problems, readAbsolutePath, readInt, readString, readStringList, rejectUnknown, utf8Bytes, type Obj } from './read.js'
import { WORKLOAD_KINDS, type AutoscalePolicy, type VmGuest, type WorkloadKind, type WorkloadSpec } from './spec.js'
import { readAutoscale, readConstraints, readHealth, readPreferences, readResources, readRestart, readVm } from './validate-fields.js'

/** The verdict on a spec: the validated spec, or every problem found, each prefixed with its field path. */
export type SpecValidation =
  | { ok: true, spec: WorkloadSpec }
  | { ok: false, problems: string[] }

const TOP_FIELDS = [
  'name', 'kind', 'command', 'args', 'env', 'cwd', 'replicas', 'minInstances', 'maxInstances', 'maxPerNode', 'vm',
  'constraints', 'affinity', 'antiAffinity', 'resources', 'restart', 'health', 'stateDir', 'replicateStateEveryMs',
  'isolated', 'mountStateAt', 'autoscale'
]

const NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
const STATE_DIR_SEGMENT_RE = /^[A-Za-z0-9._-]+$/

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

function readSpec (input: unknown, p: Problems): WorkloadSpec | undefined {
  if (!isObject(input)) {
    p.add('', 'must be an object')
    return undefined
  }
  rejectUnknown(input, TOP_FIELDS, '', p)

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
  let autoscale: AutoscalePolicy | undefined
  if (input.autoscale !== undefined) {
    if (kind !== undefined && kind !== 'cluster-aware') p.add('autoscale', `only for kind cluster-aware, not ${kind}`)
    else autoscale = readAutoscale(input.autoscale, p)
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
  if (autoscale !== undefined) {
    if (resources.cpuMillis === 0) p.add('autoscale', 'needs resources.cpuMillis above 0: the target is a share of it')
    // The scaler is the node of slot 0, and the load is what instances report: at 0 nothing would scale up.
    else if ((minInstances ?? 0) < 1) p.add('autoscale', 'needs minInstances of at least 1: with none running, nothing measures the load')
    else spec.autoscale = autoscale
  }
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

