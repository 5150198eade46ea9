import * as L from './limits.js'
import { isObject, Problems, readInt, readPath, readString, readStringList, rejectUnknown, req } from './read.js'
import {
  PREFERENCE_TARGETS,
  RESTART_MODES,
  type AutoscalePolicy,
  type Constraints,
  type HealthCheck,
  type Preference,
  type Resources,
  type RestartPolicy,
  type VmGuest,
  type PortForward
} from './spec.js'

/** The readers of the spec's structured fields (guest, constraints, preferences, resources, restart, health). */

export function readVm (v: unknown, p: Problems): VmGuest | undefined {
  if (!isObject(v)) { p.add('vm', 'must be an object'); return undefined }
  rejectUnknown(v, ['image', 'kernel', 'initrd', 'append', 'memoryMb', 'cpus', 'forward'], 'vm', p)
  const memoryMb = v.memoryMb === undefined ? req(p, 'vm.memoryMb') : readInt(v.memoryMb, 'vm.memoryMb', p, 1, L.MAX_VM_MEMORY_MB)
  const cpus = v.cpus === undefined ? req(p, 'vm.cpus') : readInt(v.cpus, 'vm.cpus', p, 1, L.MAX_VM_CPUS)
  const forward = v.forward === undefined ? undefined : readForwards(v.forward, p)
  if (v.image !== undefined && v.kernel !== undefined) { p.add('vm', 'either image or kernel, not both'); return undefined }
  if (v.image !== undefined) {
    if (v.initrd !== undefined) p.add('vm.initrd', 'only with kernel')
    if (v.append !== undefined) p.add('vm.append', 'only with kernel')
    const image = readPath(v.image, 'vm.image', p)
    if (image === undefined || memoryMb === undefined || cpus === undefined) return undefined
    return { image, memoryMb, cpus, ...(forward === undefined ? {} : { forward }) }
  }
  if (v.kernel === undefined) { p.add('vm', 'needs image or kernel'); return undefined }
  const kernel = readPath(v.kernel, 'vm.kernel', p)
  const initrd = v.initrd === undefined ? undefined : readPath(v.initrd, 'vm.initrd', p)
  const append = v.append === undefined ? undefined : readString(v.append, 'vm.append', p, { maxBytes: L.MAX_KERNEL_APPEND_BYTES, mayBeEmpty: true })
  if (kernel === undefined || memoryMb === undefined || cpus === undefined) return undefined
  const guest: VmGuest = { kernel, memoryMb, cpus, ...(forward === undefined ? {} : { forward }) }
  if (initrd !== undefined) guest.initrd = initrd
  if (append !== undefined) guest.append = append
  return guest
}

function readForwards (v: unknown, p: Problems): PortForward[] | undefined {
  if (!Array.isArray(v)) { p.add('vm.forward', 'must be a list of { host, guest } ports'); return undefined }
  if (v.length > L.MAX_VM_FORWARDS) { p.add('vm.forward', `at most ${L.MAX_VM_FORWARDS} ports`); return undefined }
  const out: PortForward[] = []
  for (const [i, f] of v.entries()) {
    if (!isObject(f)) { p.add(`vm.forward[${i}]`, 'must be { host, guest }'); continue }
    rejectUnknown(f, ['host', 'guest'], `vm.forward[${i}]`, p)
    const host = f.host === undefined ? req(p, `vm.forward[${i}].host`) : readInt(f.host, `vm.forward[${i}].host`, p, 1, 65_535)
    const guest = f.guest === undefined ? req(p, `vm.forward[${i}].guest`) : readInt(f.guest, `vm.forward[${i}].guest`, p, 1, 65_535)
    if (host === undefined || guest === undefined) continue
    if (out.some(o => o.host === host)) { p.add(`vm.forward[${i}].host`, `port ${host} is forwarded twice`); continue }
    out.push({ host, guest })
  }
  return out
}

export function readConstraints (v: unknown, p: Problems): Constraints | undefined {
  if (v === undefined) return {}
  if (!isObject(v)) { p.add('constraints', 'must be an object'); return undefined }
  rejectUnknown(v, ['roles', 'tags', 'nodes'], 'constraints', p)
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

export function readPreferences (v: unknown, path: string, p: Problems): Preference[] | undefined {
  if (v === undefined) return []
  if (!Array.isArray(v)) { p.add(path, 'must be a list'); return undefined }
  if (v.length > L.MAX_PREFERENCES) { p.add(path, `at most ${L.MAX_PREFERENCES} rules (got ${v.length})`); return undefined }
  const out: Preference[] = []
  v.forEach((rule: unknown, i) => {
    const at = `${path}[${i}]`
    if (!isObject(rule)) { p.add(at, 'must be an object { on, value, weight }'); return }
    rejectUnknown(rule, ['on', 'value', 'weight'], at, p)
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

export function readResources (v: unknown, vm: VmGuest | undefined, p: Problems): Resources | undefined {
  // A guest books at least what qemu will take: its vCPUs as whole cores and its memory.
  const floor: Resources = vm === undefined
    ? { cpuMillis: 0, memoryBytes: 0 }
    : { cpuMillis: vm.cpus * 1_000, memoryBytes: vm.memoryMb * 2 ** 20 }
  const base: Resources = vm === undefined
    ? { cpuMillis: L.DEFAULT_CPU_MILLIS, memoryBytes: L.DEFAULT_MEMORY_BYTES }
    : floor
  if (v === undefined) return base
  if (!isObject(v)) { p.add('resources', 'must be an object { cpuMillis, memoryBytes }'); return undefined }
  rejectUnknown(v, ['cpuMillis', 'memoryBytes'], 'resources', p)
  const cpuMillis = v.cpuMillis === undefined ? base.cpuMillis : readInt(v.cpuMillis, 'resources.cpuMillis', p, 0, L.MAX_CPU_MILLIS)
  const memoryBytes = v.memoryBytes === undefined ? base.memoryBytes : readInt(v.memoryBytes, 'resources.memoryBytes', p, 0, L.MAX_MEMORY_BYTES)
  if (cpuMillis === undefined || memoryBytes === undefined) return undefined
  return { cpuMillis: Math.max(cpuMillis, floor.cpuMillis), memoryBytes: Math.max(memoryBytes, floor.memoryBytes) }
}

export function readRestart (v: unknown, p: Problems): RestartPolicy | undefined {
  const d: RestartPolicy = {
    mode: 'on-failure',
    initialDelayMs: L.DEFAULT_RESTART_INITIAL_DELAY_MS,
    maxDelayMs: L.DEFAULT_RESTART_MAX_DELAY_MS,
    multiplier: L.DEFAULT_RESTART_MULTIPLIER,
    maxRestarts: L.DEFAULT_MAX_RESTARTS
  }
  if (v === undefined) return d
  if (!isObject(v)) { p.add('restart', 'must be an object'); return undefined }
  rejectUnknown(v, ['mode', 'initialDelayMs', 'maxDelayMs', 'multiplier', 'maxRestarts'], 'restart', p)
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

export function readHealth (v: unknown, p: Problems): HealthCheck | undefined {
  if (!isObject(v)) { p.add('health', 'must be an object'); return undefined }
  rejectUnknown(v, ['check', 'port', 'url', 'args', 'intervalMs', 'timeoutMs', 'failures'], 'health', p)
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

export function readUrl (v: unknown, p: Problems): string | undefined {
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


export function readAutoscale (v: unknown, p: Problems): AutoscalePolicy | undefined {
  if (!isObject(v)) { p.add('autoscale', 'must be an object { cpuPercent, downAfterMs?, upAfterMs? }'); return undefined }
  rejectUnknown(v, ['cpuPercent', 'downAfterMs', 'upAfterMs'], 'autoscale', p)
  const cpuPercent = v.cpuPercent === undefined ? req(p, 'autoscale.cpuPercent') : readInt(v.cpuPercent, 'autoscale.cpuPercent', p, L.MIN_AUTOSCALE_CPU_PERCENT, L.MAX_AUTOSCALE_CPU_PERCENT)
  const downAfterMs = v.downAfterMs === undefined ? L.DEFAULT_AUTOSCALE_DOWN_AFTER_MS : readInt(v.downAfterMs, 'autoscale.downAfterMs', p, 0, L.MAX_AUTOSCALE_WINDOW_MS)
  const upAfterMs = v.upAfterMs === undefined ? L.DEFAULT_AUTOSCALE_UP_AFTER_MS : readInt(v.upAfterMs, 'autoscale.upAfterMs', p, 0, L.MAX_AUTOSCALE_WINDOW_MS)
  if (cpuPercent === undefined || downAfterMs === undefined || upAfterMs === undefined) return undefined
  return { cpuPercent, downAfterMs, upAfterMs }
}
