import { peerDiscoverySymbol, serviceCapabilities, TypedEventEmitter, type PeerDiscovery, type PeerDiscoveryEvents, type PeerInfo, type Startable } from '@libp2p/interface'

/** A peer already reported is reported again after this long even if nothing changed, in ms. */
export const REPEAT_DISCOVERY_AFTER_MS = 5 * 60_000
/** The most peers whose last report is remembered; past it the oldest is forgotten (and reported again). */
export const MAX_REMEMBERED_DISCOVERIES = 4_096
/**
 * Extra queries after the start, in ms from it, while no peer has answered (RFC 6762 section 5.2: ask again
 * after 1 s, then at doubling intervals). The regular interval is long (tens of seconds) to keep an idle LAN
 * quiet; without these, a node whose first query went unanswered (its peers were still starting, or busy)
 * would wait that long to join.
 */
export const STARTUP_QUERY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 16_000]
/** The longest delay setTimeout takes (2³¹ - 1 ms); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

type Inner = PeerDiscovery & Partial<Startable>

/** The regular query, when QuietDiscovery (not the wrapped discovery) times it. */
export interface RegularQuery {
  /** The interval of a lone node; a member of a cluster of N waits N times as long (± a quarter). */
  intervalMs: number
  /** Members of the cluster, this one included. */
  clusterSize: () => number
}

/**
 * Wraps a peer discovery (mDNS) and passes on only news: a peer not reported before, or with other
 * addresses, or not reported for `REPEAT_DISCOVERY_AFTER_MS`.
 *
 * Why: every mDNS query on the LAN is answered by every member, and multicast answers reach every member.
 * With N members querying every T seconds, each node receives N²/T answers, nearly all of them about peers it
 * is already connected to, and libp2p writes each one into its peer store (a lock, a protobuf round trip).
 * At N=20 that cost each node about 8% of a core in bench:mesh; filtered here, an answer that says nothing
 * new costs the DNS parse only (ADR 0008).
 */
export class QuietDiscovery extends TypedEventEmitter<PeerDiscoveryEvents> implements PeerDiscovery, Startable {
  readonly [peerDiscoverySymbol] = this
  readonly [serviceCapabilities]: string[] = ['@libp2p/peer-discovery']
  readonly [Symbol.toStringTag] = 'dreammesh/quiet-discovery'
  /** peer id -> its addresses as last reported and when, in insertion order (oldest first). */
  private readonly reported = new Map<string, { addrs: string, atMs: number }>()
  private started = false
  private readonly startupTimers: NodeJS.Timeout[] = []
  private regularTimer: NodeJS.Timeout | undefined

  /**
   * `requery`, when given, sends one more query now; it is called at STARTUP_QUERY_DELAYS_MS after the start
   * until a first peer is reported, and, with `regular`, on that schedule for as long as the node runs.
   *
   * Why a regular query that slows as the cluster grows: every query is answered by every member, by
   * multicast, so N members each asking every T seconds make every node parse N²/T answers, nearly all of
   * them about peers it already knows (13 a second at N=20 with T=30 s, a fifth of an idle node's CPU).
   * Asking every N·T seconds keeps the LAN at about one query per T whatever N is, which is all the regular
   * query is for: a lost packet, or two groups that never heard each other. Membership spreads the rest.
   */
  constructor (
    private readonly inner: Inner,
    private readonly nowMs: () => number = () => performance.now(),
    private readonly requery?: () => void,
    private readonly regular?: RegularQuery,
    private readonly random: () => number = Math.random
  ) {
    super()
    this.inner.addEventListener('peer', this.onPeer)
  }

  async start (): Promise<void> {
    await this.inner.start?.()
    this.started = true
    const requery = this.requery
    if (requery === undefined) return
    for (const delayMs of STARTUP_QUERY_DELAYS_MS) {
      const timer = setTimeout(() => { if (this.started && this.reported.size === 0) requery() }, delayMs)
      timer.unref()
      this.startupTimers.push(timer)
    }
    this.scheduleRegular()
  }

  private scheduleRegular (): void {
    const { requery, regular } = this
    if (requery === undefined || regular === undefined || !this.started) return
    const size = Math.max(1, regular.clusterSize())
    // Jittered, so members that started together do not ask together.
    const delayMs = regular.intervalMs * size * (0.75 + 0.5 * this.random())
    this.regularTimer = setTimeout(() => {
      if (!this.started) return
      requery()
      this.scheduleRegular()
    }, Math.min(delayMs, MAX_TIMER_MS))
    this.regularTimer.unref()
  }

  async afterStart (): Promise<void> {
    await this.inner.afterStart?.()
  }

  async stop (): Promise<void> {
    this.started = false
    for (const timer of this.startupTimers.splice(0)) clearTimeout(timer)
    clearTimeout(this.regularTimer)
    await this.inner.stop?.()
  }

  isStarted (): boolean {
    return this.started
  }

  private readonly onPeer = (event: CustomEvent<PeerInfo>): void => {
    const info = event.detail
    const id = info.id.toString()
    const addrs = info.multiaddrs.map(a => a.toString()).sort().join(' ')
    const now = this.nowMs()
    const last = this.reported.get(id)
    if (last !== undefined && last.addrs === addrs && now - last.atMs < REPEAT_DISCOVERY_AFTER_MS) return
    this.reported.delete(id)
    this.reported.set(id, { addrs, atMs: now })
    if (this.reported.size > MAX_REMEMBERED_DISCOVERIES) {
      const oldest = this.reported.keys().next()
      if (oldest.done !== true) this.reported.delete(oldest.value)
    }
    this.safeDispatchEvent('peer', { detail: info })
  }
}

/** What QuietDiscovery needs of @libp2p/mdns's MulticastDNS to ask again: its socket, once started. */
interface MdnsLike { mdns?: { query: (q: { questions: Array<{ name: string, type: 'PTR' }> }) => void } }

/**
 * Wraps a libp2p peer-discovery factory (such as `mdns()`) in a QuietDiscovery. With `serviceTag`, the
 * startup queries (and the `regular` ones, if given) ask for it on the wrapped discovery's multicast socket
 * (@libp2p/mdns keeps it in `mdns`).
 */
export function quietDiscovery<C> (factory: (components: C) => Inner, serviceTag?: string, regular?: RegularQuery): (components: C) => QuietDiscovery {
  return (components) => {
    const inner = factory(components)
    const requery = serviceTag === undefined ? undefined : () => { (inner as MdnsLike).mdns?.query({ questions: [{ name: serviceTag, type: 'PTR' }] }) }
    return new QuietDiscovery(inner, undefined, requery, regular)
  }
}
