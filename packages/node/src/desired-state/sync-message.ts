/**
 * The desired-state sync messages (docs/protocol/desired-state.md, "Wire"). Each is one length-prefixed
 * payload (transport/length-prefix.ts) on a `/dreammesh/desired-state/1.0.0` stream:
 *
 *     payload      := version:u8 (= 1) • kind:u8 • body
 *     sync-request := kind 1 • stateVector                                  (the rest of the payload)
 *     sync-reply   := kind 2 • uint32be(n) • stateVector[n] • update        (update: the rest)
 *     update       := kind 3 • update                                       (the rest of the payload)
 *
 * `stateVector` and `update` are Yjs's own v1 encodings (`Y.encodeStateVector`, `Y.encodeStateAsUpdate`).
 * Decoding checks only the framing; whether the Yjs bytes decode is the store's check.
 */

/** The version this code writes and reads. */
export const SYNC_VERSION = 1

export const SyncKind = {
  request: 1,
  reply: 2,
  update: 3
} as const

export type SyncMessage =
  | { kind: 'request', stateVector: Uint8Array }
  | { kind: 'reply', stateVector: Uint8Array, update: Uint8Array }
  | { kind: 'update', update: Uint8Array }

/** Why a payload did not decode; each is a drop reason. */
export type SyncDecodeFailure = 'unknown-version' | 'unknown-kind' | 'malformed-message'

export type SyncDecodeResult = { ok: true, message: SyncMessage } | { ok: false, reason: SyncDecodeFailure }

export function encodeSyncMessage (message: SyncMessage): Uint8Array {
  switch (message.kind) {
    case 'request':
      return withHeader(SyncKind.request, [message.stateVector])
    case 'reply': {
      const length = new Uint8Array(4)
      new DataView(length.buffer).setUint32(0, message.stateVector.byteLength)
      return withHeader(SyncKind.reply, [length, message.stateVector, message.update])
    }
    case 'update':
      return withHeader(SyncKind.update, [message.update])
  }
}

/** Decodes one payload. Never throws. The returned arrays are views into `payload`. */
export function decodeSyncMessage (payload: Uint8Array): SyncDecodeResult {
  if (payload.byteLength < 2) return { ok: false, reason: 'malformed-message' }
  if (payload[0] !== SYNC_VERSION) return { ok: false, reason: 'unknown-version' }
  const body = payload.subarray(2)
  switch (payload[1]) {
    case SyncKind.request:
      return { ok: true, message: { kind: 'request', stateVector: body } }
    case SyncKind.reply: {
      if (body.byteLength < 4) return { ok: false, reason: 'malformed-message' }
      const n = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0)
      if (n > body.byteLength - 4) return { ok: false, reason: 'malformed-message' }
      return { ok: true, message: { kind: 'reply', stateVector: body.subarray(4, 4 + n), update: body.subarray(4 + n) } }
    }
    case SyncKind.update:
      return { ok: true, message: { kind: 'update', update: body } }
    default:
      return { ok: false, reason: 'unknown-kind' }
  }
}

function withHeader (kind: number, parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(2 + parts.reduce((n, p) => n + p.byteLength, 0))
  out[0] = SYNC_VERSION
  out[1] = kind
  let at = 2
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}
