import { applyHealthDelta, scaleByHealth } from './math.js'

/**
 * Lifeguard's local health multiplier (Lifeguard section 3.2, memberlist's awareness.go). A member that
 * misses acks or nacks, or has to refute suspicions of itself, is more likely the slow one, so it stretches
 * its own probe interval and timeout instead of accusing others.
 */
export class LocalHealth {
  private score = 0

  constructor (private readonly maxMultiplier: number) {}

  get value (): number { return this.score }

  apply (delta: number): void {
    this.score = applyHealthDelta(this.score, delta, this.maxMultiplier)
  }

  scale (timeoutMs: number): number {
    return scaleByHealth(timeoutMs, this.score)
  }
}
