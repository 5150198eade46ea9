/**
 * Bounds and defaults of a workload spec (docs/protocol/workload-spec.md). A spec lives in the replicated
 * desired-state document, which any node may edit and every node reads, so each field has a named bound: a
 * spec past one is refused by `validateWorkloadSpec` with the field's path, never half-applied.
 */

/** A workload name is a DNS label (RFC 1035 §2.3.4), so lease keys ("w/web/0") and paths built from it stay clean. */
export const MAX_WORKLOAD_NAME_CHARS = 63

/** The program to run, in UTF-8 bytes. Linux's PATH_MAX is 4096. */
export const MAX_COMMAND_BYTES = 4_096

/** Arguments after the command. */
export const MAX_ARGS = 256

/** One argument, in UTF-8 bytes. */
export const MAX_ARG_BYTES = 4_096

/** Environment variables. */
export const MAX_ENV_VARS = 256

/** All of `NAME=value\0` together, in UTF-8 bytes: an environment larger than this belongs in a file. */
export const MAX_ENV_BYTES = 32_768

/** A path (cwd, a guest image, a mount point), in UTF-8 bytes (PATH_MAX). */
export const MAX_PATH_BYTES = 4_096

/** A state directory's relative name, in characters (NAME_MAX of one component is 255). */
export const MAX_STATE_DIR_CHARS = 255

/** Instances of one replicated or cluster-aware workload: a home cluster has tens of nodes, not thousands. */
export const MAX_INSTANCES = 1_000

/** Values in one constraint list (roles, tags, node names). */
export const MAX_CONSTRAINT_VALUES = 64

/** A capability tag or node name in a constraint or preference, in characters. */
export const MAX_TAG_CHARS = 64

/** Affinity rules, and separately anti-affinity rules, per workload. */
export const MAX_PREFERENCES = 16

/** The largest preference weight; weights are 1..100 as in Nomad's affinity stanza. */
export const MAX_PREFERENCE_WEIGHT = 100

/** Requested CPU, in millicores: 1,000 cores. */
export const MAX_CPU_MILLIS = 1_000_000

/** Requested memory, in bytes: 1 TiB. */
export const MAX_MEMORY_BYTES = 2 ** 40

/** Requested CPU when the spec says nothing, in millicores (Nomad's default task asks for 100 MHz). */
export const DEFAULT_CPU_MILLIS = 100

/** Requested memory when the spec says nothing, in bytes (a small daemon; Nomad's default is 300 MB). */
export const DEFAULT_MEMORY_BYTES = 128 * 2 ** 20

/** A guest's memory, in MiB: 1 TiB. */
export const MAX_VM_MEMORY_MB = 1_048_576

/** A guest's virtual CPUs (qemu's usual maximum for the q35 machine is 288; 256 is plenty at home). */
export const MAX_VM_CPUS = 256

/** Host ports one guest may have forwarded into it. */
export const MAX_VM_FORWARDS = 16

/** The kernel command line of a guest, in bytes (Linux's COMMAND_LINE_SIZE on x86 is 2048; arm64 4096). */
export const MAX_KERNEL_APPEND_BYTES = 4_096

/** The longest wait between two restarts, in ms. */
export const MAX_RESTART_DELAY_MS = 3_600_000

/** The steepest backoff: each delay at most this many times the previous one. */
export const MAX_BACKOFF_MULTIPLIER = 10

/** Restarts a policy may allow before the instance is left failed. */
export const MAX_RESTARTS = 10_000

/** Defaults of the restart policy: on failure, 1 s doubling up to 1 min, at most 100 times (about 1.6 h of trying). */
export const DEFAULT_RESTART_INITIAL_DELAY_MS = 1_000
export const DEFAULT_RESTART_MAX_DELAY_MS = 60_000
export const DEFAULT_RESTART_MULTIPLIER = 2
export const DEFAULT_MAX_RESTARTS = 100

/** Health checks at most every 100 ms: faster probes cost more than they tell. */
export const MIN_HEALTH_INTERVAL_MS = 100

/** Health checks at least every hour. */
export const MAX_HEALTH_INTERVAL_MS = 3_600_000

/** Consecutive failed checks before an instance is unhealthy. */
export const MAX_HEALTH_FAILURES = 100

/** A health check URL, in bytes. */
export const MAX_URL_BYTES = 2_048

/** Defaults of a health check: every 10 s, 2 s to answer, unhealthy after 3 failures in a row. */
export const DEFAULT_HEALTH_INTERVAL_MS = 10_000
export const DEFAULT_HEALTH_TIMEOUT_MS = 2_000
export const DEFAULT_HEALTH_FAILURES = 3

/** State replication at most every second: it ships an archive over the bulk class. */
export const MIN_REPLICATE_STATE_EVERY_MS = 1_000

/** State replication at least once a day when asked for. */
export const MAX_REPLICATE_STATE_EVERY_MS = 86_400_000

/** Unknown field names quoted in one problem; the rest are counted. */
export const MAX_QUOTED_UNKNOWN_FIELDS = 8

/** Autoscaling's target: an instance's average CPU as a percentage of what it books, 1 to 1,000. */
export const MIN_AUTOSCALE_CPU_PERCENT = 1
export const MAX_AUTOSCALE_CPU_PERCENT = 1_000
/** A scale-down waits until the load has said so for this long (Kubernetes' HPA waits 5 min; a home cluster is smaller). */
export const DEFAULT_AUTOSCALE_DOWN_AFTER_MS = 60_000
/** After any change of the count, a scale-up waits this long: the new instances' load has to show first. */
export const DEFAULT_AUTOSCALE_UP_AFTER_MS = 15_000
export const MAX_AUTOSCALE_WINDOW_MS = 3_600_000
