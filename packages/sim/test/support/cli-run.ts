import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { getCli } from '../../src/cli/index.js'

export interface Ran { code: number, stdout: string, stderr: string }

/** Runs the dreammesh-sim CLI in-process with fake streams (not TTYs, so no progress bar). */
export async function cli (...argv: string[]): Promise<Ran> {
  const out: string[] = []
  const err: string[] = []
  const sink = (into: string[]): Writable => new Writable({
    write (chunk: Buffer | string, _encoding, done) { into.push(chunk.toString()); done() }
  })
  const code = await getCli().run(argv, { stdout: sink(out), stderr: sink(err) })
  return { code, stdout: out.join(''), stderr: err.join('') }
}

/** A usage error is one short message naming the flag, not a crash. */
export function assertUsageError (r: Ran, flag: string): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`)
  assert.ok(r.stderr.includes(flag), `stderr should name ${flag}: ${r.stderr}`)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
  assert.doesNotMatch(r.stderr, /UsageError|Error:/)
  assert.equal(r.stdout, '')
}
