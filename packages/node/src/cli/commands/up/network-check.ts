import { networkInterfaces } from 'node:os'

/** No interface a LAN peer could reach this node on. Its message is for a person. */
export class NoInterfaceError extends Error {
  constructor () {
    super('no usable network interface: only loopback is up, so no other machine can reach this node. ' +
      'Connect to a network, or for a test on this machine alone pass --listen /ip4/127.0.0.1/tcp/0 --no-mdns')
    this.name = 'NoInterfaceError'
  }
}

/** Whether a multiaddr listens on every interface (`0.0.0.0` or `::`). */
export function isWildcard (listen: string): boolean {
  return /^\/ip4\/0\.0\.0\.0\//.test(listen) || /^\/ip6\/::\//.test(listen)
}

/**
 * Throws `NoInterfaceError` when the node would listen on every interface and there is none but loopback:
 * it would start, announce itself to nobody, and look like a discovery bug.
 */
export function requireLanInterface (listen: string[], interfaces = networkInterfaces()): void {
  if (!listen.some(isWildcard)) return
  const usable = Object.values(interfaces).flat().some(i => i !== undefined && !i.internal)
  if (!usable) throw new NoInterfaceError()
}
