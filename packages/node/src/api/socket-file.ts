import { lstat, unlink } from 'node:fs/promises'
import { connect } from 'node:net'
import { dirname } from 'node:path'
import { MAX_UNIX_SOCKET_PATH_BYTES, SOCKET_PROBE_TIMEOUT_MS } from './constants.js'
import { ApiServerError } from './errors.js'

/**
 * Makes `socketPath` free to listen on. A socket file left by a node killed with -9 refuses connections
 * and is removed; one that a live process answers on is another node serving the same data dir, which is
 * an error (the data dir's lock normally stops that earlier; this covers a lock removed by hand).
 */
export async function claimSocketPath (socketPath: string, probeTimeoutMs = SOCKET_PROBE_TIMEOUT_MS): Promise<void> {
  const bytes = Buffer.byteLength(socketPath)
  if (bytes > MAX_UNIX_SOCKET_PATH_BYTES) {
    throw new ApiServerError(`the API socket path ${socketPath} is ${bytes} bytes; unix sockets allow at most ${MAX_UNIX_SOCKET_PATH_BYTES} (MAX_UNIX_SOCKET_PATH_BYTES): use a shorter --data-dir`)
  }
  let isSocket: boolean
  try {
    isSocket = (await lstat(socketPath)).isSocket()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!isSocket) throw new ApiServerError(`${socketPath} exists and is not a socket; move it away so the node can serve its API there`)
  if (await answers(socketPath, probeTimeoutMs)) {
    throw new ApiServerError(`another dreammesh node is serving this data dir (${dirname(socketPath)}): its API socket ${socketPath} answers; stop that node first`)
  }
  await unlink(socketPath).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
}

/**
 * Whether a process accepts connections on the socket. Refused (or gone) means stale; anything else,
 * a timeout included, is treated as alive, because removing a live node's socket would orphan it.
 */
function answers (socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ path: socketPath })
    const done = (alive: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(alive)
    }
    const timer = setTimeout(() => { done(true) }, timeoutMs)
    socket.once('connect', () => { done(true) })
    socket.once('error', (err: NodeJS.ErrnoException) => { done(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT') })
  })
}
