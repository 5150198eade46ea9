#!/usr/bin/env node
// The installed command. It lives outside dist/ so that npm can link it before the first build, and says
// so plainly if the build has not run yet.
import('../dist/src/cli.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli.js')) {
    console.error('dreammesh-sim: the simulator is not built yet; run `npm run build` at the repository root first.')
    process.exit(1)
  }
  throw err
})
