import assert from 'node:assert/strict'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runScript, ScriptError } from '../src/scenarios/script.js'

/** The scripts live beside the sources (the compiled spec runs from dist/test). */
const DIR = fileURLToPath(new URL('../../test/scenarios/', import.meta.url))
/** `REWRITE=1 npx mocha dist/test/scenario-scripts.spec.js` writes the actual transcripts into the files. */
const REWRITE = process.env.REWRITE === '1'

describe('membership scenario scripts (test/scenarios/*.txt)', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort()

  it('finds the scripts', () => {
    assert.ok(files.length >= 6, `expected at least 6 scripts in ${DIR}, found ${files.length}`)
  })

  for (const file of files) {
    it(file, () => {
      const path = join(DIR, file)
      const expected = readFileSync(path, 'utf8')
      const { transcript, failures } = runScript(expected)
      if (REWRITE) writeFileSync(path, transcript)
      else assert.equal(transcript, expected, `${file}: the transcript differs; rerun with REWRITE=1 to rewrite it, then read the diff`)
      assert.deepEqual(failures, [], `${file}: expectations failed`)
    })
  }
})

describe('the scenario script interpreter', () => {
  it('replaces stale output with the actual transcript and keeps comments and blank lines', () => {
    const script = '# two members\n\ncluster nodes=2 seed=1\n  stale output\nstart all\nrun 2s\nexpect converged\n  FAILED: stale\n'
    const { transcript, failures } = runScript(script)
    assert.deepEqual(failures, [])
    assert.match(transcript, /^# two members\n\ncluster nodes=2 seed=1\n {2}preset local: /)
    assert.match(transcript, /\nexpect converged\n {2}ok\n$/)
    assert.doesNotMatch(transcript, /stale/)
  })

  it('is deterministic: the same script gives the same transcript', () => {
    const script = 'cluster nodes=4 seed=9 loss=0.1\nstart all\nrun 3s\ncrash 1\nrun 3s\nevents\nviews\n'
    assert.equal(runScript(script).transcript, runScript(script).transcript)
  })

  it('records a failed expectation in the transcript and in the failures', () => {
    const { transcript, failures } = runScript('cluster nodes=3\nstart all\nrun 2s\ncrash 2\nexpect converged\nexpect state 2 dead\n')
    assert.equal(failures.length, 2)
    assert.match(failures[0], /^line 5 "expect converged": FAILED/)
    assert.match(failures[1], /^line 6 "expect state 2 dead": FAILED: n0 holds alive@0, n1 holds alive@0/)
    assert.match(transcript, /expect converged\n {2}FAILED: views differ from the running set\n {2}n0@0: n1=alive@0 n2=alive@0\n/)
  })

  for (const [script, problem] of [
    ['start all\n', /line 1 "start all": the script must begin with a cluster line/],
    ['cluster nodes=3\nstart 7\n', /line 2 "start 7": "7" is not a node \(0\.\.2\)/],
    ['cluster nodes=3\nrun 5\n', /line 2 "run 5": "5" is not a duration/],
    ['cluster nodes=3 preset=mars\n', /preset must be one of local, lan, home, wan/],
    ['cluster nodes=3 speed=9\n', /"speed=9" is not one of/],
    ['cluster nodes=3\nfly 1\n', /unknown command "fly"/],
    ['cluster nodes=3\npartition split 0\n', /partition split needs two groups/]
  ] as const) {
    it(`rejects a malformed script: ${script.trim().split('\n').pop() ?? ''}`, () => {
      assert.throws(() => runScript(script), (err: unknown) => err instanceof ScriptError && problem.test(err.message))
    })
  }
})
