import { execFile } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { MembershipRunOptions, MembershipRunResult } from '../scenarios/membership-run.js'

const WORKER = fileURLToPath(new URL('./run-worker.js', import.meta.url))

/** Runs simulations in child processes, at most one per core at a time, in submission order. */
export class RunPool {
  private running = 0
  private readonly waiting: Array<() => void> = []

  constructor (private readonly size = Math.max(1, availableParallelism())) {}

  async run (options: MembershipRunOptions): Promise<MembershipRunResult> {
    await this.slot()
    try {
      return await new Promise((resolve, reject) => {
        execFile(process.execPath, [WORKER, JSON.stringify(options)], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err !== null) { reject(new Error(`simulation failed: ${err.message}\n${stderr}`)); return }
          resolve(JSON.parse(stdout) as MembershipRunResult)
        })
      })
    } finally {
      this.running--
      this.waiting.shift()?.()
    }
  }

  private async slot (): Promise<void> {
    if (this.running < this.size) { this.running++; return }
    await new Promise<void>((resolve) => this.waiting.push(() => { this.running++; resolve() }))
  }
}
