import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { ESLint, type Linter } from 'eslint'

/**
 * The sans-IO fence (ARCHITECTURE.md rule 1) is a lint rule in /eslint.config.js. These tests lint small
 * snippets as if they lived in packages/protocols/src, so a config change that silently drops one of the
 * restrictions fails here rather than in review.
 */

// dist/test/lint-rule.spec.js -> the repository root.
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
const protocolsFile = `${repoRoot}packages/protocols/src/core/fake.ts`
const simFile = `${repoRoot}packages/sim/src/fake.ts`

const SANS_IO_RULES = new Set([
  'no-restricted-globals',
  'no-restricted-properties',
  'no-restricted-syntax',
  '@typescript-eslint/no-restricted-imports'
])

/** Each forbidden thing, the rule expected to catch it, and a snippet that uses it. */
const forbidden: Array<{ what: string, rule: string, code: string }> = [
  { what: 'Date.now', rule: 'no-restricted-properties', code: 'export const t = Date.now()' },
  { what: 'new Date', rule: 'no-restricted-syntax', code: 'export const d = new Date()' },
  { what: 'Date() called as a function', rule: 'no-restricted-syntax', code: 'export const d = Date()' },
  { what: 'performance', rule: 'no-restricted-globals', code: 'export const t = performance.now()' },
  { what: 'Math.random', rule: 'no-restricted-properties', code: 'export const r = Math.random()' },
  { what: 'setTimeout', rule: 'no-restricted-globals', code: 'setTimeout(() => {}, 10)' },
  { what: 'setInterval', rule: 'no-restricted-globals', code: 'setInterval(() => {}, 10)' },
  { what: 'setImmediate', rule: 'no-restricted-globals', code: 'setImmediate(() => {})' },
  { what: 'queueMicrotask', rule: 'no-restricted-globals', code: 'queueMicrotask(() => {})' },
  { what: 'clearTimeout', rule: 'no-restricted-globals', code: 'export function f (h: number): void { clearTimeout(h) }' },
  { what: 'process', rule: 'no-restricted-globals', code: 'export const e = process.env.HOME' },
  { what: 'require', rule: 'no-restricted-globals', code: "export const m: unknown = require('x')" },
  { what: 'the crypto global', rule: 'no-restricted-globals', code: 'export const b = crypto.getRandomValues(new Uint8Array(4))' },
  { what: 'fetch', rule: 'no-restricted-globals', code: "export const p = fetch('http://example.com')" },
  { what: 'globalThis.setTimeout', rule: 'no-restricted-properties', code: 'globalThis.setTimeout(() => {}, 1)' },
  { what: 'globalThis.Math', rule: 'no-restricted-properties', code: 'export const r = globalThis.Math.random()' },
  { what: 'import libp2p', rule: '@typescript-eslint/no-restricted-imports', code: "import { createLibp2p } from 'libp2p'\nexport const c = createLibp2p" },
  { what: 'import @libp2p/tcp', rule: '@typescript-eslint/no-restricted-imports', code: "import { tcp } from '@libp2p/tcp'\nexport const t = tcp" },
  { what: 'import type from @libp2p/interface', rule: '@typescript-eslint/no-restricted-imports', code: "import type { PeerId } from '@libp2p/interface'\nexport type P = PeerId" },
  { what: 'import node:fs', rule: '@typescript-eslint/no-restricted-imports', code: "import { readFileSync } from 'node:fs'\nexport const r = readFileSync" },
  { what: 'import node:crypto', rule: '@typescript-eslint/no-restricted-imports', code: "import { randomBytes } from 'node:crypto'\nexport const r = randomBytes" },
  { what: 'import fs', rule: '@typescript-eslint/no-restricted-imports', code: "import fs from 'fs'\nexport const f = fs" },
  { what: 'import fs/promises', rule: '@typescript-eslint/no-restricted-imports', code: "import { readFile } from 'fs/promises'\nexport const r = readFile" },
  { what: 'import net', rule: '@typescript-eslint/no-restricted-imports', code: "import net from 'net'\nexport const n = net" },
  { what: 'import dgram', rule: '@typescript-eslint/no-restricted-imports', code: "import dgram from 'dgram'\nexport const d = dgram" },
  { what: 'import child_process', rule: '@typescript-eslint/no-restricted-imports', code: "import { spawn } from 'child_process'\nexport const s = spawn" },
  { what: 'import os', rule: '@typescript-eslint/no-restricted-imports', code: "import os from 'os'\nexport const o = os" },
  { what: 'import timers', rule: '@typescript-eslint/no-restricted-imports', code: "import { setTimeout as later } from 'timers'\nexport const l = later" },
  { what: 'import timers/promises', rule: '@typescript-eslint/no-restricted-imports', code: "import { setTimeout as sleep } from 'timers/promises'\nexport const s = sleep" },
  { what: 'import crypto', rule: '@typescript-eslint/no-restricted-imports', code: "import { randomInt } from 'crypto'\nexport const r = randomInt" },
  { what: 'export * from node:os', rule: '@typescript-eslint/no-restricted-imports', code: "export * from 'node:os'" },
  { what: 'import x = require()', rule: '@typescript-eslint/no-restricted-imports', code: "import fs = require('fs')\nexport const f = fs" },
  { what: 'dynamic import()', rule: 'no-restricted-syntax', code: "export const m = await import('node:fs')" }
]

/** Realistic protocol code: the allowed dependencies, injected time and randomness, pure helpers. */
const clean = `
import { encodeMessage, type Codec } from 'protons-runtime'
import { alloc } from 'uint8arrays/alloc'
import type { Rng } from '../core/rng.js'

export interface Tick { nowMs: number }

export function jitterMs (rng: Rng, baseMs: number): number {
  return Math.floor(baseMs * (0.9 + 0.2 * rng.float()))
}

export function deadline (tick: Tick, timeoutMs: number): number {
  const process = { startedMs: tick.nowMs }
  return process.startedMs + timeoutMs
}

export function encodeWith<T> (value: T, codec: Codec<T>): Uint8Array {
  return value === undefined ? alloc(0) : encodeMessage(value, codec)
}

export const label = new TextEncoder().encode('dreammesh')
export const parsed = Date.parse('2024-01-01T00:00:00Z')
`

describe('lint: the sans-IO rule (ARCHITECTURE.md rule 1)', function () {
  this.timeout(60_000)
  let eslint: ESLint

  before(() => {
    eslint = new ESLint({ cwd: repoRoot })
  })

  async function lint (code: string, filePath = protocolsFile): Promise<Linter.LintMessage[]> {
    const [result] = await eslint.lintText(code, { filePath })
    return result.messages
  }

  function describeMessages (messages: Linter.LintMessage[]): string {
    return messages.map((m) => `${m.line}:${m.column} ${m.ruleId ?? '(fatal)'} ${m.message}`).join('\n')
  }

  for (const { what, rule, code } of forbidden) {
    it(`rejects ${what} in packages/protocols/src`, async () => {
      const messages = await lint(code)
      assert.ok(messages.every((m) => m.fatal !== true), `the snippet must parse:\n${describeMessages(messages)}`)
      const hits = messages.filter((m) => m.severity === 2 && m.ruleId === rule)
      assert.ok(hits.length > 0, `expected a ${rule} error, got:\n${describeMessages(messages)}`)
      for (const hit of hits) assert.match(hit.message, /ARCHITECTURE\.md rule 1/)
    })
  }

  it('accepts clean protocol code that uses only the allowed dependencies', async () => {
    const messages = await lint(clean)
    assert.deepEqual(messages.map((m) => `${m.ruleId ?? '(fatal)'}: ${m.message}`), [])
  })

  it('applies only to packages/protocols/src: the simulator may read time and set timers', async () => {
    const messages = await lint('export const t = Date.now()\nsetTimeout(() => {}, Math.random())\n', simFile)
    assert.deepEqual(messages.filter((m) => m.ruleId !== null && SANS_IO_RULES.has(m.ruleId)), [])
  })

  it('passes the generated protons file and the rest of packages/protocols/src as they are', async () => {
    const results = await eslint.lintFiles([`${repoRoot}packages/protocols/src`])
    const files = results.map((r) => r.filePath.slice(repoRoot.length))
    assert.ok(files.includes('packages/protocols/src/wire/membership.ts'), `linted: ${files.join(', ')}`)
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId ?? ''} ${m.message}`))
    assert.deepEqual(problems, [])
  })
})
