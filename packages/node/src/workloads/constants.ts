/**
 * Defaults of the workload supervisor. Each is a bound with its unit last (ARCHITECTURE.md rule 8); every one
 * can be overridden in `SupervisorInit` or per instance in `InstanceSpec`.
 */

/** SIGTERM to SIGKILL, in ms: what `docker stop` and systemd's TimeoutStopSec give a process by default. */
export const STOP_GRACE_MS = 10_000

/**
 * How long before a `killBy` deadline the supervisor sends SIGKILL, in ms. The kernel needs a moment to tear
 * down a killed cgroup, and the supervisor polls cgroup.procs; this margin covers both, so "dead by T" holds.
 */
export const KILL_MARGIN_MS = 250

/** Each log file (stdout and stderr, each) rotates at this size, keeping one previous file: 2 × this on disk. */
export const LOG_MAX_BYTES = 8 * 1024 * 1024

/** A line longer than this is cut into pieces for followers, so one endless line cannot grow a buffer. */
export const LOG_MAX_LINE_BYTES = 16 * 1024

/** How often the supervisor looks at cgroup.procs while it waits for a cgroup to empty, in ms. */
export const CGROUP_POLL_MS = 20

/**
 * The longest the supervisor waits for a SIGKILLed cgroup to empty, in ms. SIGKILL cannot be caught; a task
 * stuck in uninterruptible sleep (D state, e.g. on a dead NFS mount) is the only thing that outlives this.
 */
export const CGROUP_EMPTY_BUDGET_MS = 5_000

/** The CFS period for v1 cpu.cfs_period_us and v2 cpu.max, in µs: the kernel's default, 100 ms. */
export const CPU_PERIOD_US = 100_000

/** The kernel refuses a CFS quota below 1 ms; a tiny cpuMillis is raised to this, in µs. */
export const MIN_CPU_QUOTA_US = 1_000

/** Restart policy defaults: 1 s doubling to 5 min, like Kubernetes' CrashLoopBackOff (10 s to 5 min). */
export const RESTART_INITIAL_DELAY_MS = 1_000
export const RESTART_MAX_DELAY_MS = 300_000
export const RESTART_MULTIPLIER = 2
/** Restarts allowed in one crash loop (a stable run ends the loop). */
export const RESTART_MAX_RESTARTS = 10
/** A run this long counts as stable: the backoff and the restart count start over, in ms (Kubernetes: 10 min). */
export const RESTART_STABLE_AFTER_MS = 600_000

/** Health check defaults, in the spirit of Docker's HEALTHCHECK (30 s interval, 30 s timeout, 3 retries). */
export const HEALTH_INTERVAL_MS = 10_000
export const HEALTH_TIMEOUT_MS = 5_000
export const HEALTH_FAILURES = 3

/** Longest workload name and agent id, in bytes: each becomes one path component of a cgroup and a directory. */
export const MAX_NAME_BYTES = 64

/** Bound on one HTTP health probe's response body that we read (and discard), in bytes. */
export const HEALTH_MAX_BODY_BYTES = 64 * 1024

/** Exit status of the cgroup entry wrapper when it could not put itself into a cgroup (as `env`, `timeout` use 125). */
export const ENTER_FAILED_EXIT_CODE = 125
