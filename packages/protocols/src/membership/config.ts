import { suspicionTimeoutMs } from './math.js'

/**
 * Membership configuration, with presets in the manner of memberlist's DefaultLANConfig.
 *
 * The arithmetic behind the LAN preset (detection bounds, false-positive margins under pauses) is written out
 * in docs/membership-arithmetic.md; change a number here only with that page open.
 */
export interface MembershipConfig {
  /** Time between two round-robin probes; SWIM's protocol period. Scaled by local health (Lifeguard 3.2). */
  probeIntervalMs: number
  /** How long a direct ping waits for its ack before indirect probes go out. Scaled by local health. */
  probeTimeoutMs: number
  /** How many members are asked to probe a target indirectly (SWIM's k). More of them survive more loss. */
  indirectChecks: number
  /**
   * Sets the minimum suspicion timeout: `suspicionMult × max(1, log10(N)) × probeIntervalMs`. Lifeguard's
   * confirmations shrink the timeout toward it; it must outlast the longest pause a live node may take.
   */
  suspicionMult: number
  /** The maximum suspicion timeout, as a multiple of the minimum: where an unconfirmed suspicion starts. */
  suspicionMaxTimeoutMult: number
  /** How often queued news is gossiped on its own, apart from the news piggybacked on probes. */
  gossipIntervalMs: number
  /** How many random members receive each gossip tick's packet. */
  gossipFanout: number
  /**
   * Whether news that changes only a member's metadata (the same incarnation, a newer metaVersion: a
   * resource record, in practice) is quiet: it rides on the probes and acks a member sends anyway and never
   * arms the gossip tick on its own. Loud news (joins, suspicions, deaths, leaves, refutations) is unchanged.
   * Quiet news takes about as long to spread (a member sends two to four probes and acks a second) and costs
   * no packet of its own; anti-entropy still repairs whoever missed it.
   */
  quietMetaNews: boolean
  /**
   * Whether a member whose own probe failed tells every live member of its suspicion at once (one packet
   * each, the suspect included), and a suspect tells every live member of its refutation at once, instead of
   * leaving both to gossip rounds. Every member then starts its suspicion timer together, so a lost member is
   * declared dead everywhere about one suspicion timeout after the failed probe, and a live suspect's answer
   * reaches everyone within a packet's latency. Neither needs the O(log N) gossip rounds that make the
   * suspicion timeout grow with log N, so with this on it does not (see `minSuspicionMs`): at N=20 and a
   * 500 ms probe interval, 1.0 s instead of 1.3 s. It costs N−1 packets per new suspicion and per refutation,
   * which suits a home cluster of tens and not a mesh of thousands. Confirmations, deaths and everything else
   * still spread by gossip.
   */
  announceSuspicionToAll: boolean
  /**
   * Whether the member a newcomer joins through (the one it syncs with first) tells every live member of the
   * join at once, one packet each, instead of leaving it to gossip rounds. It is usually a member connected to
   * all; the newcomer is connected to almost no one yet, so its own gossip is mostly lost. Costs N−1 packets
   * per join, which suits a home cluster of tens (ADR 0020).
   */
  announceJoinsToAll: boolean
  /** λ in the retransmit limit λ·⌈log10(N+1)⌉: how many times each piece of news is sent. */
  retransmitMult: number
  /** Lifeguard's local health ceiling: probe interval and timeout stretch up to this factor. */
  awarenessMaxMultiplier: number
  /**
   * How late past its deadline a timer may fire before this member counts itself stalled, in ms; 0 never does.
   * A stall (a starved CPU, a long GC pause, SIGSTOP) worsens local health by one, as a missed nack does in
   * Lifeguard: a member that could not even keep its own timers is the likeliest slow one, and should stretch
   * its probes before it accuses anyone. Twenty agents starting at once on two cores stall every member for
   * seconds; an idle member on a sane host never stalls this long.
   */
  stallMs: number
  /**
   * Whether local health also stretches the suspicion timeouts this member runs: at health h, a suspect is
   * declared dead after `(h + 1)` times the usual timeout. Lifeguard stretches only the probe; but a member
   * whose own timers run late also reads a suspect's refutation late, and declared live members dead when a
   * whole cluster started at once on a starved host (ADR 0020). A healthy member (h = 0) is unchanged.
   */
  healthScalesSuspicion: boolean
  /** Time between anti-entropy rounds while views agree. */
  pushPullIntervalMs: number
  /** Time between anti-entropy rounds while the last round changed something (after a heal, a join). */
  pushPullFastIntervalMs: number
  /**
   * Time between anti-entropy rounds while some member is remembered dead (if shorter than
   * `pushPullIntervalMs`). Rounds pick dead members too, and that is how the sides of a healed partition find
   * each other; a healthy cluster has no dead member and runs at the slower `pushPullIntervalMs`.
   */
  pushPullHealIntervalMs: number
  /** An anti-entropy session not finished this long after it opened is abandoned. */
  syncTimeoutMs: number
  /** How many anti-entropy sessions a member holds open at once; more are answered pull-only. */
  maxInboundSyncs: number
  /** Digest buckets in an anti-entropy round: the granularity of what is re-sent when views differ. */
  digestBuckets: number
  /** The largest packet, in bytes (fits a 1500-byte Ethernet MTU with IP/UDP and transport headers). */
  maxPacketBytes: number
  /** The largest stream frame, in bytes; anti-entropy chunks its state to fit. */
  maxFrameBytes: number
  /** The most news kept for gossip; past it, the most-sent news is dropped first. */
  maxQueuedBroadcasts: number
  /** Probes started out of turn (a closed connection, a claim that a live member is dead) at once. */
  maxUrgentProbes: number
  /** How long a dead or left member is remembered (and offered anti-entropy, so partitions heal). */
  deadRetentionMs: number
  /** How often a member with seeds but no peers retries its join. */
  joinRetryIntervalMs: number
  /** The most seeds one join contacts. */
  maxJoinSeeds: number
  /**
   * The most members remembered (dead and left included). News of new members past it is dropped and
   * counted, so a misbehaving peer cannot grow the table, and with it N in every timeout, without bound.
   */
  maxMembers: number
  /** The longest member name, in UTF-8 bytes. */
  maxNameBytes: number
  /** The largest owner-versioned state record (resources, health), in bytes. */
  maxStateBytes: number
  /** All of a member's metadata (name, addresses, tags, state), in bytes: one ALIVE update must fit a packet. */
  maxMetaBytes: number
}

/**
 * A LAN of a few to a thousand machines: sub-millisecond links, rare loss. Crash detection p99 about 2.5 s at
 * N=10 and 3.5 s at N=1,000 (see docs/membership-arithmetic.md).
 */
export function lanConfig (): MembershipConfig {
  return {
    probeIntervalMs: 200,
    probeTimeoutMs: 100,
    indirectChecks: 5,
    suspicionMult: 3,
    suspicionMaxTimeoutMult: 6,
    gossipIntervalMs: 50,
    gossipFanout: 3,
    quietMetaNews: false,
    announceSuspicionToAll: false,
    announceJoinsToAll: false,
    retransmitMult: 4,
    awarenessMaxMultiplier: 8,
    stallMs: 0,
    healthScalesSuspicion: false,
    pushPullIntervalMs: 2_000,
    pushPullFastIntervalMs: 250,
    pushPullHealIntervalMs: 2_000,
    syncTimeoutMs: 2_000,
    maxInboundSyncs: 8,
    digestBuckets: 32,
    maxPacketBytes: 1_400,
    maxFrameBytes: 64 * 1024,
    maxQueuedBroadcasts: 4_096,
    maxUrgentProbes: 16,
    deadRetentionMs: 120_000,
    joinRetryIntervalMs: 1_000,
    maxJoinSeeds: 3,
    maxMembers: 16_384,
    maxNameBytes: 64,
    maxStateBytes: 512,
    maxMetaBytes: 1_024
  }
}

/**
 * The real node's default: a home or office LAN of real hosts, where every message crosses libp2p (pnet,
 * noise, yamux) and costs the host syscalls and CPU that a simulated packet does not. Probes every 500 ms
 * instead of 200 ms, gossip every 100 ms: an idle node sends about 2.5 times fewer packets than with
 * `lanConfig()`.
 *
 * Suspicion lasts `1.5 × 500 ms` = 0.75 s whatever N is, with no Lifeguard stretching (a suspicionMult
 * below 3 expects no confirmations): the suspicion and the suspect's refutation are each told to every member
 * at once (`announceSuspicionToAll`), so no gossip rounds need paying for, and 0.75 s leaves a live suspect
 * hundreds of LAN round trips. A suspect paused for up to about 1.25 s (the failed probe's 0.5 s period plus
 * the suspicion) still refutes in time; a longer pause on a LAN means the host is in trouble anyway, and a
 * host whose own timers run late stretches its suspicions (below). It was 1.0 s until ADR 0021: the median
 * machine loss at N=6 sat 0.1 s under bench:mesh's target (serf's time / 3) and missed it in one run.
 *
 * A member whose own timers fire 100 ms or more late (`stallMs`) counts itself unhealthy, and stretches both
 * its probes and the suspicion timeouts it runs (`healthScalesSuspicion`): a host too starved to answer in
 * time does not declare its equally starved peers dead (ADR 0020). On a healthy host neither changes a thing.
 *
 * Joins are told to every member by the member the newcomer joined through (`announceJoinsToAll`). An
 * anti-entropy round that changed something brings the next within 1 s, not 250 ms: each round is a libp2p
 * stream exchange, and twenty agents starting at once on two cores spent more on rounds at 250 ms than the
 * rounds saved them (ADR 0020).
 *
 * Metadata news is quiet (`quietMetaNews`): it rides on probes and acks, and an idle cluster sends nothing
 * else (ADR 0019). A lost machine is known to all in about 1.6 s at N=6 and at N=20 (the simulator's
 * median; bench:mesh measures the real figure beside serf's 6-7 s).
 */
export function homeConfig (): MembershipConfig {
  return {
    ...lanConfig(),
    probeIntervalMs: 500,
    probeTimeoutMs: 250,
    gossipIntervalMs: 100,
    suspicionMult: 1.5,
    pushPullIntervalMs: 10_000,
    quietMetaNews: true,
    announceSuspicionToAll: true,
    announceJoinsToAll: true,
    pushPullFastIntervalMs: 1_000,
    stallMs: 100,
    healthScalesSuspicion: true
  }
}

/** Wide-area or lossy links: longer timeouts and suspicion, slower anti-entropy (memberlist's WAN ratios). */
export function wanConfig (): MembershipConfig {
  return {
    ...lanConfig(),
    probeIntervalMs: 1_000,
    probeTimeoutMs: 500,
    indirectChecks: 5,
    suspicionMult: 6,
    gossipIntervalMs: 200,
    gossipFanout: 4,
    pushPullIntervalMs: 10_000,
    pushPullFastIntervalMs: 1_000,
    pushPullHealIntervalMs: 10_000,
    syncTimeoutMs: 10_000,
    joinRetryIntervalMs: 5_000
  }
}

/**
 * One machine, loopback or an in-memory transport: fast timers so tests finish quickly, and small frames so
 * chunking is exercised.
 */
export function localTestConfig (): MembershipConfig {
  return {
    ...lanConfig(),
    probeIntervalMs: 100,
    probeTimeoutMs: 50,
    gossipIntervalMs: 20,
    pushPullIntervalMs: 1_000,
    pushPullFastIntervalMs: 100,
    pushPullHealIntervalMs: 1_000,
    syncTimeoutMs: 1_000,
    maxFrameBytes: 4 * 1024,
    deadRetentionMs: 30_000,
    joinRetryIntervalMs: 250
  }
}

/** Numeric settings for which 0 switches the behaviour off; every other number must be positive. */
const ZERO_MEANS_OFF: ReadonlySet<keyof MembershipConfig> = new Set(['stallMs'])

/**
 * Every problem with a config, or an empty list. A config is checked once, when a machine is made, so a
 * wrong number fails loudly at start instead of quietly in a partition.
 */
export function configProblems (c: MembershipConfig): string[] {
  const problems: string[] = []
  const number = (name: keyof MembershipConfig): void => {
    const v = c[name]
    const zeroOk = ZERO_MEANS_OFF.has(name)
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (v === 0 && !zeroOk)) {
      problems.push(`${name} must be ${zeroOk ? '0 (off) or ' : ''}a positive number, got ${String(v)}`)
    }
  }
  for (const [key, value] of Object.entries(lanConfig()) as Array<[keyof MembershipConfig, unknown]>) {
    if (typeof value === 'number') number(key)
    else if (typeof c[key] !== typeof value) problems.push(`${key} must be a ${typeof value}, got ${String(c[key])}`)
  }
  if (c.probeTimeoutMs >= c.probeIntervalMs) problems.push('probeTimeoutMs must be below probeIntervalMs, so indirect probes have time')
  if (c.suspicionMaxTimeoutMult < 1) problems.push('suspicionMaxTimeoutMult must be at least 1')
  if (c.maxPacketBytes < 512) problems.push('maxPacketBytes must be at least 512 to carry one full ALIVE update')
  if (c.maxFrameBytes < c.maxPacketBytes) problems.push('maxFrameBytes must be at least maxPacketBytes')
  // An anti-entropy frame must hold at least one whole record: a 128-byte id, the metadata, and headers.
  if (c.maxFrameBytes < c.maxMetaBytes + 256) problems.push('maxFrameBytes must hold one member record (maxMetaBytes plus 256 bytes)')
  if (c.digestBuckets > 256) problems.push('digestBuckets must be at most 256 (the wire limit)')
  // A DIGEST carries one uint32 per bucket: up to 6 bytes each with its tag, plus the header.
  if (c.digestBuckets * 6 + 64 > c.maxFrameBytes) problems.push('a digest of digestBuckets must fit maxFrameBytes (6 bytes a bucket plus 64)')
  if (c.maxMetaBytes + 256 > c.maxPacketBytes) problems.push('maxMetaBytes plus 256 bytes of headers must fit in maxPacketBytes')
  if (c.maxNameBytes + c.maxStateBytes > c.maxMetaBytes) problems.push('maxNameBytes + maxStateBytes must fit in maxMetaBytes')
  return problems
}

/**
 * The minimum suspicion timeout for a cluster of `n` members under `config`: `suspicionTimeoutMs`, whose
 * log10(N) factor pays for gossip rounds, except with `announceSuspicionToAll`, where suspicions and
 * refutations reach every member directly and the timeout stays at `suspicionMult × probeIntervalMs`.
 */
export function minSuspicionMs (config: MembershipConfig, n: number): number {
  return suspicionTimeoutMs(config.suspicionMult, config.announceSuspicionToAll ? 1 : n, config.probeIntervalMs)
}
