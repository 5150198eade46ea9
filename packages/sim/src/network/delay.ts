import type { Rng } from '@dreammesh/protocols'

/** The parts of the fault model that shape one transmission's delay. */
export interface DelayModel {
  delayMinMs: number
  delayMeanMs: number
  delayTailProbability: number
  delayTailMs: number
}

/**
 * One transmission's one-way delay, in milliseconds: the floor, plus an exponential sample with the rest of
 * the mean (queueing on a lightly loaded link), plus, for a `delayTailProbability` fraction, a uniform extra
 * up to `delayTailMs` (link-layer retries).
 */
export function sampleDelayMs (rng: Rng, model: DelayModel): number {
  let delayMs = model.delayMinMs
  const spreadMs = model.delayMeanMs - model.delayMinMs
  // 1 - u is in (0, 1], so the logarithm is finite.
  if (spreadMs > 0) delayMs -= spreadMs * Math.log(1 - rng.float())
  if (model.delayTailProbability > 0 && rng.float() < model.delayTailProbability) delayMs += rng.float() * model.delayTailMs
  return delayMs
}

/**
 * The time a stream loses to `losses` consecutive losses of one frame, in milliseconds: each loss costs the
 * current retransmission timeout, which starts at `minRtoMs` and doubles up to `maxRtoMs` (RFC 6298 section
 * 5.5, exponential backoff). So 0, 200, 600, 1400, ... with the Linux defaults.
 */
export function retransmitDelayMs (losses: number, minRtoMs: number, maxRtoMs: number): number {
  let totalMs = 0
  let rtoMs = minRtoMs
  for (let i = 0; i < losses; i++) {
    totalMs += rtoMs
    rtoMs = Math.min(rtoMs * 2, maxRtoMs)
  }
  return totalMs
}
