/** A one-line progress bar for a terminal; redrawn at most ten times a second. */
export class ProgressBar {
  private lastDrawMs = 0

  constructor (private readonly out: NodeJS.WritableStream, private readonly label: string, private readonly width = 30) {}

  update (fraction: number, note = ''): void {
    const now = performance.now()
    if (now - this.lastDrawMs < 100 && fraction < 1) return
    this.lastDrawMs = now
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * this.width)
    this.out.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${note}\x1b[K`)
  }

  done (): void {
    this.out.write('\r\x1b[K')
  }
}
