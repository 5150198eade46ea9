import * as c from './constants.js'

/**
 * How the simulated network carries messages.
 *
 * - `packets`: `sendPacket` is lossy and may duplicate and reorder (UDP); `sendFrame` is reliable and ordered,
 *   and its losses show up as retransmission delay (TCP).
 * - `streams`: both `sendPacket` and `sendFrame` ride the reliable ordered connection, as on libp2p, which
 *   has no datagrams. Nothing is lost, duplicated or reordered short of a partition or a crash.
 */
export type TransportModel = 'packets' | 'streams'

/**
 * The fault model of a `SimNetwork` (after TigerBeetle's packet simulator options). Every field is optional;
 * probabilities are per transmission, in [0, 1].
 */
export interface SimNetworkOptions {
  /** How packets and frames travel. @default 'packets' */
  model?: TransportModel
  /** The one-way delay floor, in milliseconds. @default 0.1 */
  delayMinMs?: number
  /**
   * The mean one-way delay, floor included, in milliseconds. A delay is `delayMinMs` plus an exponential
   * sample with mean `delayMeanMs - delayMinMs`. @default 0.25
   */
  delayMeanMs?: number
  /**
   * The fraction of transmissions that get an extra delay, uniform in [0, delayTailMs): WiFi retries and
   * power-save wake-ups give a LAN a long tail that an exponential alone does not. @default 0
   */
  delayTailProbability?: number
  /** The largest extra tail delay, in milliseconds. @default 0 */
  delayTailMs?: number
  /** The chance a transmission is lost. Packets vanish; frames are retransmitted. @default 0 */
  lossProbability?: number
  /** The chance a packet is delivered twice (`packets` model only). @default 0 */
  duplicateProbability?: number
  /**
   * The chance a packet is held back by `reorderDelayMs` to `2 * reorderDelayMs` extra, so that packets sent
   * after it overtake it (`packets` model only). @default 0
   */
  reorderProbability?: number
  /** The least extra delay of a reordered packet, in milliseconds. @default 20 */
  reorderDelayMs?: number
  /** A stream's first retransmission timeout; it doubles for each further loss of the same frame, in ms. @default 200 */
  streamMinRtoMs?: number
  /** The retransmission timeout stops doubling here, in milliseconds. @default 120000 */
  streamMaxRtoMs?: number
  /** Consecutive losses of one frame after which the connection breaks: the frame is dropped and reported closed. @default 15 */
  streamMaxRetransmits?: number
  /** The largest packet payload a transport sends, in bytes. @default 1400 */
  maxPacketBytes?: number
  /** The largest frame payload a transport sends, in bytes. @default 1048576 */
  maxFrameBytes?: number
  /** How long a frame to an unreachable peer waits before it is dropped and reported closed, in ms. @default 5000 */
  dialTimeoutMs?: number
  /** On a crash, peers that exchanged frames with the node this recently get `onClosed`, in ms. @default 60000 */
  closeNoticeWindowMs?: number
  /**
   * Copies every payload at send time, so each receiver (and each duplicate) gets its own bytes. Off by
   * default because a copy costs about a microsecond (every small `Uint8Array` gets its own backing store),
   * which is most of a delivery's cost. Without it the sender's buffer is delivered as is: a sender must not
   * mutate a buffer after sending it (an asynchronous socket write would send the mutation too), and a
   * receiver must treat what it receives as read-only. Turn it on to rule out aliasing when a run looks odd.
   * @default false
   */
  copyPayloads?: boolean
}

/** `SimNetworkOptions` with every default filled in. */
export type ResolvedNetworkOptions = Readonly<Required<SimNetworkOptions>>

/** Fills in defaults once and rejects a fault model that cannot be simulated. */
export function resolveNetworkOptions (init: SimNetworkOptions = {}): ResolvedNetworkOptions {
  const delayMinMs = init.delayMinMs ?? c.DELAY_MIN_MS
  const resolved: ResolvedNetworkOptions = {
    model: init.model ?? 'packets',
    delayMinMs,
    delayMeanMs: init.delayMeanMs ?? Math.max(c.DELAY_MEAN_MS, delayMinMs),
    delayTailProbability: init.delayTailProbability ?? 0,
    delayTailMs: init.delayTailMs ?? 0,
    lossProbability: init.lossProbability ?? 0,
    duplicateProbability: init.duplicateProbability ?? 0,
    reorderProbability: init.reorderProbability ?? 0,
    reorderDelayMs: init.reorderDelayMs ?? c.REORDER_DELAY_MS,
    streamMinRtoMs: init.streamMinRtoMs ?? c.STREAM_MIN_RTO_MS,
    streamMaxRtoMs: init.streamMaxRtoMs ?? c.STREAM_MAX_RTO_MS,
    streamMaxRetransmits: init.streamMaxRetransmits ?? c.STREAM_MAX_RETRANSMITS,
    maxPacketBytes: init.maxPacketBytes ?? c.MAX_PACKET_BYTES,
    maxFrameBytes: init.maxFrameBytes ?? c.MAX_FRAME_BYTES,
    dialTimeoutMs: init.dialTimeoutMs ?? c.DIAL_TIMEOUT_MS,
    closeNoticeWindowMs: init.closeNoticeWindowMs ?? c.CLOSE_NOTICE_WINDOW_MS,
    copyPayloads: init.copyPayloads ?? false
  }
  if (resolved.model !== 'packets' && resolved.model !== 'streams') throw new RangeError(`unknown transport model ${String(resolved.model)}`)
  for (const key of ['lossProbability', 'duplicateProbability', 'reorderProbability', 'delayTailProbability'] as const) {
    const p = resolved[key]
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${key} must be in [0, 1], got ${p}`)
  }
  for (const key of ['delayMinMs', 'delayTailMs', 'reorderDelayMs', 'streamMinRtoMs', 'streamMaxRtoMs', 'streamMaxRetransmits',
    'maxPacketBytes', 'maxFrameBytes', 'dialTimeoutMs', 'closeNoticeWindowMs'] as const) {
    const v = resolved[key]
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${key} must be a finite number >= 0, got ${v}`)
  }
  if (!(resolved.delayMeanMs >= resolved.delayMinMs) || !Number.isFinite(resolved.delayMeanMs)) {
    throw new RangeError(`delayMeanMs (${resolved.delayMeanMs}) must be at least delayMinMs (${resolved.delayMinMs})`)
  }
  return resolved
}

/** A quiet switched wired LAN: sub-millisecond delay, no loss. The defaults, spelled out. */
export function lanProfile (overrides: SimNetworkOptions = {}): SimNetworkOptions {
  return { delayMinMs: c.DELAY_MIN_MS, delayMeanMs: c.DELAY_MEAN_MS, lossProbability: 0, ...overrides }
}

/**
 * A busy home WiFi: 5 ms mean one-way delay, 3% of transmissions delayed by up to 200 ms more (retries and
 * power save), 2% loss.
 */
export function wifiProfile (overrides: SimNetworkOptions = {}): SimNetworkOptions {
  return {
    delayMinMs: 1,
    delayMeanMs: 5,
    delayTailProbability: 0.03,
    delayTailMs: 200,
    lossProbability: 0.02,
    ...overrides
  }
}
