import { createHash, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'

/** Whether `host` (a name or an IP literal, IPv6 with or without brackets) can only be reached from this machine. */
export function isLoopbackHost (host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare)
  return false
}

/** The host part of a Host header (`127.0.0.1:4712`, `[::1]:4712`, `localhost`). */
export function hostOfHeader (header: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(header)
  if (bracketed !== null) return bracketed[1]
  return header.split(':')[0]
}

/**
 * Whether an `Authorization` header carries `token`. Both sides are hashed first, so the comparison is
 * constant-time and its length does not leak the token's.
 */
export function bearerMatches (header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  if (match === null) return false
  return timingSafeEqual(digest(match[1]), digest(token))
}

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
