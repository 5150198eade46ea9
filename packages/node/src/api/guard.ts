import type { IncomingMessage } from 'node:http'
import { bearerMatches, hostOfHeader, isLoopbackHost } from './auth.js'
import { failure, type Failure } from './reply.js'

/** Decides whether a request may be served at all; undefined means yes. */
export type RequestGuard = (req: IncomingMessage) => Failure | undefined

/**
 * The unix socket needs no guard: the socket file is mode 0600 in a 0700 data dir, so only the node's
 * own user can connect.
 */
export const openGuard: RequestGuard = () => undefined

/**
 * The TCP listener's guard. With a token, every request must carry it. Without one (loopback only), a web
 * page in a local browser is the remaining threat: DNS rebinding gets it a Host of its own domain, and a
 * cross-site form POST (`/v1/leave`) gets an Origin of its own, so both are refused.
 */
export function tcpGuard (token: string | undefined): RequestGuard {
  return req => {
    if (token !== undefined) {
      if (bearerMatches(req.headers.authorization, token)) return undefined
      return failure(401, 'unauthorized', 'this API needs `Authorization: Bearer <token>` with the token the node was started with', {
        'WWW-Authenticate': 'Bearer realm="dreammesh"'
      })
    }
    const host = req.headers.host ?? ''
    if (!isLoopbackHost(hostOfHeader(host))) {
      return failure(403, 'forbidden-host', `a loopback API answers only requests addressed to a loopback host, not ${JSON.stringify(host)}`)
    }
    const origin = req.headers.origin
    if (origin !== undefined && origin !== `http://${host}`) {
      return failure(403, 'forbidden-origin', `cross-origin requests are refused (Origin ${JSON.stringify(origin)})`)
    }
    return undefined
  }
}
