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
import('../dist/cli/dreammesh.mjs').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/dreammesh.mjs')) {
    console.error('dreammesh: not built yet; run `npm run build` at the repository root first.')
    process.exit(1)
  }
  throw err
})
