#!/usr/bin/env node
// The installed command. It lives outside dist/ so that npm can link it before the first build, and says
// so plainly if the build has not run yet, or if the Node running it is too old for libp2p 3.
const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  console.error(`dreammesh: needs Node 22 or later, and this is Node ${process.versions.node}. Run it as \`npx dreammesh\` ` +
    'from the repository (npm then uses the pinned Node 22), or install Node 22+.')
  process.exit(1)
}
// The build bundles the CLI into one file (scripts/bundle-cli.mjs): it starts in a third of the CPU time.
// V8's compile cache for that bundle takes another ~70 ms off every command and the daemon's warm-up. It
// lives in the user's own cache dir (0700), never in a shared /tmp where another user could plant one.
await enableCompileCache()
import('../dist/cli/dreammesh.mjs').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/dreammesh.mjs')) {
    console.error('dreammesh: not built yet; run `npm run build` at the repository root first.')
    process.exit(1)
  }
  throw err
})

async function enableCompileCache () {
  try {
    const [{ enableCompileCache }, { mkdirSync }, { homedir }, { join }] = await Promise.all([import('node:module'), import('node:fs'), import('node:os'), import('node:path')])
    if (typeof enableCompileCache !== 'function' || process.env.NODE_COMPILE_CACHE !== undefined) return
    const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache')
    const dir = join(base, 'dreammesh', 'compile-cache')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    enableCompileCache(dir)
  } catch {
    // No home, a read-only one: run without the cache, only slower to start.
  }
}
