/**
 * The membership targets of the mesh foundation issue (section 4), and serf's figures measured on this kind
 * of machine for comparison. Times in ms.
 */
export const TARGETS = {
  detectionAllP99MsN10: 2_500,
  detectionAllP99MsN1000: 3_500,
  joinAllP99MsN100: 1_000,
  joinAllP99MsN1000: 2_000,
  /** False positives in 20 nodes × 30 virtual minutes at 5% loss. */
  falsePositives5pctLoss: 0,
  /** At N=100 with 1% of the nodes pausing 1 s once a minute: per 100 node-hours. */
  pauseFalsePositivesPer100NodeHours: 1,
  /** Growth of packets and bytes per node per second from N=100 to N=1,000. */
  loadGrowthMax: 0.25,
  /** 1,000 nodes for 600 virtual seconds, in wall seconds. */
  simSpeedWallSeconds: 60,
  /** Two healed halves merge into one view within this, at N=1,000. */
  healMsN1000: 10_000,
  /** Every p99 is over at least this many events. */
  minEvents: 200
} as const

/** serf (hashicorp memberlist, LAN defaults): crash known to all, measured here (issue text). */
export const SERF_REFERENCE = [
  { what: 'serf crash known to all, N=6, loopback', ms: 5_800 },
  { what: 'serf crash known to all, N=20, loopback', ms: 6_800 },
  { what: 'serf crash known to all, N=6, network namespaces', ms: 8_800 }
]
