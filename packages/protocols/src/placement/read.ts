import * as L from './limits.js'

/**
 * The primitive readers behind `validateWorkloadSpec`: each checks one value against its bound, records a
 * problem at its path when it fails, and returns the value or undefined. None throws or stops the walk, so
 * the user sees every problem at once.
 */

export type Obj = Record<string, unknown>

/** The problems found so far, each `path: what is wrong`. */
export class Problems {
  readonly list: string[] = []
  add (path: string, what: string): void {
    this.list.push(path === '' ? `spec: ${what}` : `${path}: ${what}`)
  }
}

export function readStringList (v: unknown, path: string, p: Problems, maxItems: number, maxEach: number, eachInBytes: boolean): string[] | undefined {
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

export interface StringRule { maxBytes?: number, maxChars?: number, mayBeEmpty?: boolean }

export function readString (v: unknown, path: string, p: Problems, rule: StringRule): string | undefined {
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

export function readPath (v: unknown, path: string, p: Problems): string | undefined {
  return readString(v, path, p, { maxBytes: L.MAX_PATH_BYTES })
}

export function readAbsolutePath (v: unknown, path: string, p: Problems): string | undefined {
  const s = readPath(v, path, p)
  if (s === undefined) return undefined
  if (!s.startsWith('/')) { p.add(path, 'must be an absolute path'); return undefined }
  return s
}

export function readInt (v: unknown, path: string, p: Problems, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) { p.add(path, `must be a whole number from ${min} to ${max}`); return undefined }
  if (v < min || v > max) { p.add(path, `must be from ${min} to ${max} (got ${v})`); return undefined }
  return v
}

export function req (p: Problems, path: string): undefined {
  p.add(path, 'required')
  return undefined
}

export function isObject (v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function quoteSome (names: string[]): string {
  const shown = names.slice(0, L.MAX_QUOTED_UNKNOWN_FIELDS).map((n) => JSON.stringify(n.slice(0, L.MAX_TAG_CHARS))).join(', ')
  return names.length > L.MAX_QUOTED_UNKNOWN_FIELDS ? `${shown} and ${names.length - L.MAX_QUOTED_UNKNOWN_FIELDS} more` : shown
}

/**
 * UTF-8 length without allocating. Strings here may be long and hostile, so counting stops a little past
 * `stopAfter`: the caller only needs to know the bound is broken.
 */
export function utf8Bytes (s: string, stopAfter = Infinity): number {
  let n = 0
  for (let i = 0; i < s.length && n <= stopAfter; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 4; i++ } else n += 3
  }
  return n
}

/** Records the fields of `v` outside `allowed` as one problem at `path` (a typo is reported, not ignored). */
export function rejectUnknown (v: Obj, allowed: readonly string[], path: string, p: Problems): void {
  const unknown = Object.keys(v).filter((k) => !allowed.includes(k))
  if (unknown.length > 0) p.add(path, `unknown ${unknown.length === 1 ? 'field' : 'fields'} ${quoteSome(unknown)}`)
}
