import { main } from './main.js'

/**
 * The process side of the CLI: real stdout and stderr, and the exit code. A pipe closed early
 * (`dreammesh events | head`) ends the command quietly instead of with EPIPE.
 */
process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0) })

const code = await main(process.argv.slice(2), {
  out: line => { process.stdout.write(line + '\n') },
  err: line => { process.stderr.write(line + '\n') },
  env: process.env
})
process.exitCode = code
// The daemon's libp2p and timers are stopped by now; anything left (a stuck socket) must not keep a
// finished command alive.
setTimeout(() => process.exit(code), 2_000).unref()
