/**
 * @packageDocumentation
 *
 * `@dreammesh/node/sdk`: for applications that know they run on a dreammesh cluster. Import it from the
 * subpath to keep an instance's start fast (it loads the local API client only, not libp2p).
 *
 * @example
 * ```ts
 * import { ClusterInstance } from '@dreammesh/node/sdk'
 * const me = ClusterInstance.fromEnv()
 * me.watchPeers((peers) => { rebalance(peers) })
 * me.onStopNotice(async () => { await saveWork() })
 * ```
 */
export { ClusterInstance, NotAnInstanceError, ipsOf, type ClusterInstanceInit, type InstancePeer } from './cluster-instance.js'
