/**
 * Fails a test run on anything thrown or rejected that nobody handled: "no node crashes" made checkable
 * while several nodes share one process. Install in `before`, call `assertClean()` where the test wants
 * to know, and `uninstall()` in `after`.
 */
export class ProcessGuard {
  readonly problems: string[] = []
  private readonly onRejection = (reason: unknown): void => { this.problems.push(`unhandledRejection: ${describe(reason)}`) }
  private readonly onException = (err: unknown): void => { this.problems.push(`uncaughtException: ${describe(err)}`) }

  install (): this {
    process.on('unhandledRejection', this.onRejection)
    process.on('uncaughtException', this.onException)
    return this
  }

  uninstall (): void {
    process.off('unhandledRejection', this.onRejection)
    process.off('uncaughtException', this.onException)
  }

  assertClean (): void {
    if (this.problems.length > 0) throw new Error(`the process saw ${this.problems.length} unhandled error(s):\n${this.problems.join('\n')}`)
  }
}

function describe (err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err)
}
