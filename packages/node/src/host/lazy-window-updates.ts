import { StreamState, YamuxStream } from '@libp2p/yamux/stream'

/** The fields of a yamux stream that decide whether a window update is due (private in its typings). */
interface WindowState {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
  sendWindowUpdate: () => void
}

let installed = false

/**
 * Makes @libp2p/yamux send a window update only once half the receive window is used, as go-yamux and
 * hashicorp/yamux do, instead of after every data frame.
 *
 * Why: membership sends one small frame per probe, ack and gossip. js-yamux answers each with a
 * WINDOW_UPDATE frame, which costs the receiver a second encrypted write and the sender a second read, for
 * a window (256 KiB) that those frames barely touch. On an idle 6-node mesh that was a third of all writes
 * and about a fifth of each node's CPU (bench:mesh, ADR 0008). The wire stays yamux: a peer that sends
 * updates eagerly, or receives them lazily, interoperates, because an update is only ever a credit.
 *
 * Frames that carry SYN or ACK flags, and paused streams, take the original path unchanged. The patch is on
 * the shared prototype (yamux makes its streams itself and takes no hook), so it applies to every yamux
 * connection in the process; it is installed once, by the first host created.
 */
export function installLazyWindowUpdates (): void {
  if (installed) return
  installed = true
  const proto = YamuxStream.prototype as unknown as WindowState
  const eager = proto.sendWindowUpdate
  proto.sendWindowUpdate = function (this: WindowState): void {
    const flagless = this.state === StreamState.Established || this.state === StreamState.SYNSent
    if (flagless && this.recvWindowCapacity > this.recvWindow / 2) return
    eager.call(this)
  }
}
