/**
 * A small, strict flag parser for the simulator's CLI: every flag is declared with its kind and help, and
 * anything else (an unknown flag, a missing or malformed value, a value out of range) is an error that names
 * the flag. No dependency: the CLI must start fast and say exactly what is wrong.
 */
export type FlagKind = 'int' | 'number' | 'fraction' | 'duration' | 'choice' | 'boolean'

export interface FlagSpec {
  name: string
  kind: FlagKind
  help: string
  choices?: readonly string[]
  min?: number
  max?: number
}

export class UsageError extends Error {}

/** Parses `argv` against `specs`; returns values keyed by flag name (without dashes). */
export function parseFlags (argv: readonly string[], specs: readonly FlagSpec[]): Record<string, number | string | boolean> {
  const byName = new Map(specs.map((s) => [s.name, s]))
  const out: Record<string, number | string | boolean> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`)
    let name = arg.slice(2)
    let value: string | undefined
    const eq = name.indexOf('=')
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq) }
    const spec = byName.get(name)
    if (spec === undefined) throw new UsageError(`unknown flag --${name}`)
    if (spec.kind === 'boolean') {
      if (value !== undefined && value !== 'true' && value !== 'false') throw new UsageError(`--${name} takes no value`)
      out[name] = value !== 'false'
      continue
    }
    if (value === undefined) {
      value = argv[++i]
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`)
    }
    out[name] = parseValue(spec, value)
  }
  return out
}

function parseValue (spec: FlagSpec, raw: string): number | string {
  const bad = (why: string): never => { throw new UsageError(`--${spec.name} ${why}, got "${raw}"`) }
  switch (spec.kind) {
    case 'choice':
      if (!(spec.choices ?? []).includes(raw)) bad(`must be one of ${(spec.choices ?? []).join(', ')}`)
      return raw
    case 'duration': {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw)
      if (m === null) return bad('must be a duration such as 600s, 10m or 1500ms')
      const unit = m[2] ?? 's'
      const seconds = Number(m[1]) * (unit === 'ms' ? 0.001 : unit === 'm' ? 60 : unit === 'h' ? 3600 : 1)
      return checkRange(spec, seconds, raw)
    }
    default: {
      const n = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(n)) return bad('must be a number')
      if (spec.kind === 'int' && !Number.isInteger(n)) bad('must be a whole number')
      if (spec.kind === 'fraction' && (n < 0 || n > 1)) bad('must be a fraction from 0 to 1')
      return checkRange(spec, n, raw)
    }
  }
}

function checkRange (spec: FlagSpec, n: number, raw: string): number {
  if (spec.min !== undefined && n < spec.min) throw new UsageError(`--${spec.name} must be at least ${spec.min}, got "${raw}"`)
  if (spec.max !== undefined && n > spec.max) throw new UsageError(`--${spec.name} must be at most ${spec.max}, got "${raw}"`)
  return n
}

/** The flags as a help block. */
export function flagHelp (specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const value = s.kind === 'boolean' ? '' : s.kind === 'choice' ? ` ${(s.choices ?? []).join('|')}` : s.kind === 'duration' ? ' DURATION' : ' N'
    return [`  --${s.name}${value}`, s.help]
  })
  const width = Math.max(...rows.map((r) => r[0].length)) + 2
  return rows.map(([a, b]) => a.padEnd(width) + b).join('\n')
}
