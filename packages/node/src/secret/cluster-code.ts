import { hkdfSync, randomBytes } from 'node:crypto'

/**
 * The cluster code: the one secret a person carries from the first machine to the others.
 *
 * It holds 130 random bits, typed as 26 base32 characters plus 2 check characters, grouped by four:
 * `k7qm-2x9d-...`. 130 bits, because pnet's first bytes are predictable: anyone who captures one
 * handshake can test guesses offline at leisure, so the key must be out of reach of brute force on its own
 * (no password stretching would save a short code). The check characters catch a typo before it becomes
 * a mysterious "nobody answers": a mistyped code is a clear error, not a different cluster.
 *
 * The alphabet is Crockford's base32 (no I, L, O, U), and parsing forgives case, spaces, dashes and the
 * look-alikes I/L→1, O→0, as people do when they read a code aloud.
 */

/** Random bits in a code. */
export const CLUSTER_CODE_BITS = 130
/** Base32 characters that carry the random bits (5 bits each). */
export const CLUSTER_CODE_DATA_CHARS = 26
/** Base32 characters of checksum after them. */
export const CLUSTER_CODE_CHECK_CHARS = 2
/** Characters per dash-separated group when printed. */
const GROUP_CHARS = 4
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const PSK_SALT = 'dreammesh/pnet/v1'

/** A code that cannot be a cluster code; its message says what is wrong, for a person. */
export class ClusterCodeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ClusterCodeError'
  }
}

/** A parsed cluster code: its canonical text and the 130 secret bits (as 26 five-bit values). */
export interface ClusterCode {
  /** The canonical printed form, `xxxx-xxxx-...`. */
  readonly text: string
  /** The 26 data characters' values, 0..31 each. */
  readonly digits: readonly number[]
}

/** A new random cluster code. */
export function generateClusterCode (): ClusterCode {
  const bytes = randomBytes(CLUSTER_CODE_DATA_CHARS)
  const digits = [...bytes].map(b => b & 31)
  return fromDigits(digits)
}

/** Parses what a person typed. Throws a `ClusterCodeError` that says what is wrong. */
export function parseClusterCode (typed: string): ClusterCode {
  const cleaned = typed.trim().toLowerCase().replace(/[\s-]/g, '')
  const digits: number[] = []
  for (const ch of cleaned) {
    const value = ALPHABET.indexOf(normalize(ch))
    if (value < 0) throw new ClusterCodeError(`a cluster code has only letters and digits (base32); ${JSON.stringify(ch)} is not one`)
    digits.push(value)
  }
  const want = CLUSTER_CODE_DATA_CHARS + CLUSTER_CODE_CHECK_CHARS
  if (digits.length !== want) {
    throw new ClusterCodeError(`a cluster code has ${want} characters (not counting dashes); this one has ${digits.length}: copy it again from \`dreammesh init\``)
  }
  const data = digits.slice(0, CLUSTER_CODE_DATA_CHARS)
  const check = checksum(data)
  if (check[0] !== digits[CLUSTER_CODE_DATA_CHARS] || check[1] !== digits[CLUSTER_CODE_DATA_CHARS + 1]) {
    throw new ClusterCodeError('this cluster code has a typo (its check characters do not match): copy it again from `dreammesh init`')
  }
  return fromDigits(data)
}

/**
 * The 32-byte pre-shared key of the cluster's private network, derived from the code with HKDF-SHA256.
 * The code is already uniformly random, so HKDF only spreads its 130 bits over the key width.
 */
export function pskOf (code: ClusterCode): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', codeBytes(code), PSK_SALT, 'psk', 32))
}

/**
 * A public name for the cluster (16 hex characters), safe to show and to announce: it tells members of one
 * cluster apart from another's on the same LAN (the mDNS service name) and reveals nothing of the key.
 */
export function clusterIdOf (code: ClusterCode): string {
  return Buffer.from(hkdfSync('sha256', codeBytes(code), PSK_SALT, 'cluster-id', 8)).toString('hex')
}

/** The key in the text format @libp2p/pnet reads (go-ipfs's swarm.key). */
export function swarmKeyOf (psk: Uint8Array): Uint8Array {
  return new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${Buffer.from(psk).toString('hex')}`)
}

function fromDigits (digits: number[]): ClusterCode {
  const all = [...digits, ...checksum(digits)].map(d => ALPHABET[d]).join('')
  const groups: string[] = []
  for (let i = 0; i < all.length; i += GROUP_CHARS) groups.push(all.slice(i, i + GROUP_CHARS))
  return { text: groups.join('-'), digits: Object.freeze([...digits]) }
}

function codeBytes (code: ClusterCode): Uint8Array {
  // 26 x 5 bits = 130 bits, packed big-endian into 17 bytes (the last 6 bits zero).
  const out = new Uint8Array(17)
  let bit = 0
  for (const d of code.digits) {
    for (let i = 4; i >= 0; i--, bit++) {
      if (((d >> i) & 1) === 1) out[bit >> 3] |= 0x80 >> (bit & 7)
    }
  }
  return out
}

/**
 * Two check characters: a position-weighted sum mod 31 and mod 29 over the data digits (weights differ per
 * position, so a swap of two neighbours is caught, as is a single wrong character, bar a 0/z mix-up at one
 * position out of 26).
 */
function checksum (digits: readonly number[]): [number, number] {
  let a = 0
  let b = 0
  digits.forEach((d, i) => {
    a = (a + d * (i + 1)) % 31
    b = (b + d * (2 * i + 3)) % 29
  })
  return [a, b]
}

function normalize (ch: string): string {
  if (ch === 'i' || ch === 'l') return '1'
  if (ch === 'o') return '0'
  return ch
}
