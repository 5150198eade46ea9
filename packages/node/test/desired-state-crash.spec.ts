import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DESIRED_STATE_DIR, SNAPSHOT_FILE } from '../src/desired-state/constants.js'
import { DesiredStateStore } from '../src/desired-state/store.js'

/**
 * Issue: "persisted in the data dir, so that kill -9 and restarts lose no acknowledged change." A real child
 * process edits the document without pause (several edits in flight, so fsyncs are shared and compactions
 * happen) and prints each edit once its promise resolves; the parent SIGKILLs it right after reading an
 * acknowledgement, while later writes are still under way. Every edit acknowledged before the kill must be
 * there after reopening, whatever the kill cut in half.
 *
 * What a process kill cannot show: an edit acknowledged before its fsync would survive a kill -9 too (the
 * kernel still holds the page), and only a power cut would lose it. That ordering is checked by the store
 * test "an edit is acknowledged only once its record is in the log file" and by reading the code.
 */

/** dist/src/desired-state/store.js, next to this compiled test's dist/test/. */
const STORE_MODULE = new URL('../src/desired-state/store.js', import.meta.url).href
/** Edits in flight at once in the child. */
const IN_FLIGHT = 4
/** A small log bound, so the child also compacts (snapshot rename and log reset) while it is being killed. */
const MAX_LOG_BYTES = 8 * 1024
/** Rounds of kill and reopen on the same data dir. */
const ROUNDS = 4

/**
 * The child: continues numbering after the highest workload already stored, and prints `acked N` for each
 * edit once durable. A plain module passed with -e, so the test needs no fixture file.
 */
const CHILD = `
import { DesiredStateStore } from ${JSON.stringify(STORE_MODULE)}
const [dataDir, editor] = process.argv.slice(1)
const store = await DesiredStateStore.open(dataDir, { editor, maxLogBytes: ${MAX_LOG_BYTES} })
let next = Math.max(-1, ...[...store.workloads().keys()].map(k => Number(k.slice(1)))) + 1
process.stdout.write('ready ' + next + '\\n')
async function writer () {
  for (;;) {
    const n = next++
    await store.setWorkload('w' + n, { n, pad: 'p'.repeat(n % 300) })
    process.stdout.write('acked ' + n + '\\n')
  }
}
for (let i = 0; i < ${IN_FLIGHT}; i++) void writer()
`

/** Runs the child until it has acknowledged `count` edits, kills it with SIGKILL, and returns what it acknowledged. */
async function runAndKill (dataDir: string, editor: string, count: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dataDir, editor], { stdio: ['ignore', 'pipe', 'pipe'] })
  const acked: number[] = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  await new Promise<void>((resolve, reject) => {
    let buffered = ''
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        const m = /^acked (\d+)$/.exec(line)
        if (m !== null && acked.length < count) {
          acked.push(Number(m[1]))
          // Killed at once, in the middle of whatever the other writers are doing.
          if (acked.length === count) child.kill('SIGKILL')
        }
      }
    })
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve()
      else reject(new Error(`the child exited before ${count} acknowledgements: ${stderr}`))
    })
  })
  return acked
}

describe('desired state: kill -9 right after an acknowledged edit loses nothing acknowledged', function () {
  this.timeout(60_000)
  let root: string
  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'dreammesh-desired-crash-')) })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  it(`${ROUNDS} rounds of edits, each killed mid-write, then reopened`, async () => {
    const editor = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const everAcked = new Set<number>()
    let tornTails = 0
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of await runAndKill(root, editor, 40 + 17 * round)) everAcked.add(n)
      const store = await DesiredStateStore.open(root, { editor, maxLogBytes: MAX_LOG_BYTES })
      try {
        const missing = [...everAcked].filter(n => {
          const spec = store.workload(`w${n}`)
          return spec?.n !== n || spec.pad !== 'p'.repeat(n % 300)
        })
        assert.deepEqual(missing, [], `round ${round}: acknowledged edits lost after kill -9`)
        tornTails += store.stats.droppedTails
      } finally {
        await store.close()
      }
    }
    assert.ok(everAcked.size >= 40 * ROUNDS)
    // The child compacted while being killed: the snapshot exists (it is written only by a compaction).
    assert.ok((await stat(join(root, DESIRED_STATE_DIR, SNAPSHOT_FILE))).size > 0)
    console.log(`      ${everAcked.size} acknowledged edits kept; ${tornTails} torn tails dropped on reopen`)
  })
})
