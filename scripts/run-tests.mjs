#!/usr/bin/env node
/**
 * Runs every package's mocha tests, then the root `test/` folder's, and ends stdout with the totals:
 *
 *     N passed, N failed            (or `N passed, N failed, N skipped` when tests were pending)
 *
 * That last line is the contract `.ci/run` and the root `npm test` rely on. The exit code is non-zero if
 * anything failed, including a test file that could not load or a test process that would not exit.
 *
 * How: each suite runs in its own process, with the stock mocha CLI, in its own directory and with the
 * arguments of its own `test` script (so `.mocharc` files, reporters and `npm test -w` behave as usual),
 * under Node 22 or later (the pinned `node` devDependency when the shell's Node is older). Mocha is asked to
 * `--require` this very file, which then acts as a mocha plugin: its `mochaGlobalTeardown` reads the
 * runner's stats and writes them to a file the parent names in an environment variable. Nothing is parsed
 * out of the human-readable output.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** Where a suite process writes its totals (set by the parent for each child). */
const TOTALS_ENV = 'DREAMMESH_TEST_TOTALS'
/** Node versions below this cannot run the project (see the root package.json `engines`). */
const MIN_NODE_MAJOR = 22
/** What a package's tests are, when its `test` script is not a plain `mocha ...` command. */
const DEFAULT_PACKAGE_SPEC = ['dist/test/**/*.spec.js']
/**
 * The cross-package tests in the root `test/` folder. `.ts` specs run through Node's type stripping (Node
 * 22.18 and later): erasable syntax only, and no type checking, so keep them small or compile them.
 */
const ROOT_SPEC = ['test/**/*.spec.{js,mjs,cjs,ts}']
/** Source files that make a folder count as having tests. */
const SPEC_SOURCE = /\.spec\.(ts|mts|js|mjs|cjs)$/
/** How long a suite process may keep running after its last test before it is called hung, in ms. */
const EXIT_GRACE_MS = 10_000

const self = fileURLToPath(import.meta.url)
const root = dirname(dirname(self))

/**
 * Mocha root-hook plugin side: runs inside a suite's mocha process, after all its tests. Mocha calls global
 * fixtures with the runner as `this`, and by now its stats are final.
 */
export function mochaGlobalTeardown () {
  const file = process.env[TOTALS_ENV]
  if (file === undefined || file === '') return
  const { passes = 0, failures = 0, pending = 0 } = this.stats ?? {}
  const totals = { passed: passes, failed: failures, skipped: pending }
  writeFileSync(file, JSON.stringify(totals))
  // Mocha waits for the event loop to drain. A test that leaves a socket or timer open would hang CI until
  // its limit, so say so and fail instead. unref(): this timer alone keeps nothing alive.
  setTimeout(() => {
    process.stderr.write(`\nrun-tests: the process was still running ${EXIT_GRACE_MS / 1000} s after its last test; ` +
      'something left a handle open (a socket, a timer, a child process). Counted as one failure.\n')
    writeFileSync(file, JSON.stringify({ ...totals, failed: totals.failed + 1, hung: true }))
    process.exit(1)
  }, EXIT_GRACE_MS).unref()
}

/** The suites: each workspace package, then the root `test/` folder. */
function suites () {
  const pkg = readJson(join(root, 'package.json'))
  const dirs = []
  for (const entry of pkg.workspaces ?? []) {
    if (entry.endsWith('/*')) {
      const parent = join(root, entry.slice(0, -2))
      for (const name of readdirSync(parent).sort()) {
        if (existsSync(join(parent, name, 'package.json'))) dirs.push(join(parent, name))
      }
    } else {
      dirs.push(join(root, entry))
    }
  }
  const list = dirs.map((dir) => {
    const p = readJson(join(dir, 'package.json'))
    return { name: p.name ?? relative(root, dir), dir, specDir: join(dir, 'test'), args: mochaArgs(p.scripts?.test) }
  })
  list.push({ name: 'test/ (root)', dir: root, specDir: join(root, 'test'), args: ROOT_SPEC })
  return list
}

/** The arguments of a `mocha ...` test script, or the default spec if the script is anything else. */
function mochaArgs (script) {
  if (typeof script !== 'string' || !/^mocha(\s|$)/.test(script.trim())) return DEFAULT_PACKAGE_SPEC
  const words = shellWords(script.trim())
  return words === undefined ? DEFAULT_PACKAGE_SPEC : words.slice(1)
}

/** Splits a simple command line (quotes and backslashes; no variables, pipes or `&&`), or undefined. */
function shellWords (line) {
  const words = []
  let word = ''
  let inWord = false
  let quote = ''
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quote !== '') {
      if (ch === quote) quote = ''
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i]
      else word += ch
    } else if (ch === "'" || ch === '"') {
      quote = ch
      inWord = true
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i]
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else if ('|&;<>$`()'.includes(ch)) {
      return undefined
    } else {
      word += ch
      inWord = true
    }
  }
  if (quote !== '') return undefined
  if (inWord) words.push(word)
  return words
}

/** Whether `dir` holds any spec source file (node_modules and dist aside). */
function hasSpecs (dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return false
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist' && hasSpecs(join(dir, entry.name))) return true
    } else if (SPEC_SOURCE.test(entry.name)) {
      return true
    }
  }
  return false
}

/** A Node binary of at least MIN_NODE_MAJOR: this one, or the one the `node` devDependency installed. */
function pinnedNode () {
  if (major(process.versions.node) >= MIN_NODE_MAJOR) return process.execPath
  const pinned = join(root, 'node_modules', '.bin', 'node')
  if (existsSync(pinned)) {
    const r = spawnSync(pinned, ['-p', 'process.versions.node'], { encoding: 'utf8' })
    if (r.status === 0 && major(r.stdout.trim()) >= MIN_NODE_MAJOR) return pinned
  }
  return undefined
}

function major (version) {
  return Number(version.split('.')[0])
}

function readJson (file) {
  return JSON.parse(readFileSync(file, 'utf8'))
}

/** Runs one suite's mocha and resolves to its totals, adding a failure for anything that kept it from reporting. */
function runSuite (node, mochaBin, suite, scratch, index) {
  const totalsFile = join(scratch, `suite-${index}.json`)
  const args = [mochaBin, ...suite.args, '--require', self]
  const started = performance.now()
  return new Promise((resolve) => {
    const child = spawn(node, args, {
      cwd: suite.dir,
      stdio: 'inherit',
      env: { ...process.env, [TOTALS_ENV]: totalsFile }
    })
    const finish = (code, signal, spawnError) => {
      const seconds = (performance.now() - started) / 1000
      let totals
      try { totals = readJson(totalsFile) } catch { totals = undefined }
      const problems = []
      if (spawnError !== undefined) problems.push(`could not start mocha: ${spawnError.message}`)
      else if (signal !== null) problems.push(`mocha was killed by ${signal}`)
      if (totals === undefined) {
        totals = { passed: 0, failed: 0, skipped: 0 }
        if (problems.length === 0) problems.push(`mocha exited with code ${code} before reporting results (a spec file failed to load?)`)
      } else if (totals.hung === true) {
        problems.push('the test process did not exit after its tests (counted as one failure)')
      } else if (code !== 0 && totals.failed === 0 && spawnError === undefined && signal === null) {
        problems.push(`mocha exited with code ${code} although no test failed`)
      }
      // Anything that went wrong outside a test still counts, so "0 failed" always means a clean run.
      if (problems.length > 0 && totals.hung !== true) totals.failed += 1
      resolve({ suite, totals, problems, seconds })
    }
    child.once('error', (err) => { finish(null, null, err) })
    child.once('exit', (code, signal) => { finish(code, signal) })
  })
}

async function main () {
  const node = pinnedNode()
  if (node === undefined) {
    console.error(`run-tests: Node ${MIN_NODE_MAJOR} or later is needed and this is ${process.version}. ` +
      'Run `npm install` (the `node` devDependency installs a pinned Node 22) or install Node 22.')
    console.log('0 passed, 1 failed')
    process.exitCode = 1
    return
  }
  const mochaBin = createRequire(join(root, 'package.json')).resolve('mocha/bin/mocha.js')
  const scratch = mkdtempSync(join(tmpdir(), 'dreammesh-tests-'))
  const results = []
  try {
    const list = suites()
    for (let i = 0; i < list.length; i++) {
      const suite = list[i]
      if (!hasSpecs(suite.specDir)) {
        results.push({ suite, totals: undefined, problems: [], seconds: 0 })
        continue
      }
      console.log(`\n=== ${suite.name}: mocha ${suite.args.join(' ')}`)
      results.push(await runSuite(node, mochaBin, suite, scratch, i))
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }

  const sum = { passed: 0, failed: 0, skipped: 0 }
  const width = Math.max(...results.map((r) => r.suite.name.length))
  console.log('\n=== totals')
  for (const { suite, totals, problems, seconds } of results) {
    if (totals === undefined) {
      console.log(`  ${suite.name.padEnd(width)}  no tests (no *.spec files in ${relative(root, suite.specDir) || '.'}/)`)
      continue
    }
    sum.passed += totals.passed
    sum.failed += totals.failed
    sum.skipped += totals.skipped
    const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''
    console.log(`  ${suite.name.padEnd(width)}  ${totals.passed} passed, ${totals.failed} failed${skipped}  (${seconds.toFixed(1)} s)`)
    for (const p of problems) console.log(`  ${''.padEnd(width)}  ! ${p}`)
  }
  const skipped = sum.skipped > 0 ? `, ${sum.skipped} skipped` : ''
  // The last line of stdout, exactly: CI reads it.
  console.log(`${sum.passed} passed, ${sum.failed} failed${skipped}`)
  process.exitCode = sum.failed > 0 ? 1 : 0
}

// Run only as a script; when mocha loads this file with --require it is just the plugin above.
const entry = process.argv[1]
if (entry !== undefined && existsSync(entry) && pathToFileURL(realpathSync(entry)).href === pathToFileURL(realpathSync(self)).href) {
  await main()
}
