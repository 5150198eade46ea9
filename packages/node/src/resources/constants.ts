/**
 * Defaults of resource sampling (issue "The real node", section 3: "every second the node samples ...").
 * An idle node must stay under 1% of a core, so the per-second sample is a handful of small file reads and
 * never spawns a process.
 */

/** How often the node samples its resources, in ms. */
export const SAMPLE_INTERVAL_MS = 1_000

/**
 * How often capabilities (displays, input devices, GPUs) are rescanned when no watch tells us, in ms.
 * /proc and /sys raise no inotify events, so a GPU or an input device seen only there is found by this poll.
 */
export const CAPABILITY_RESCAN_INTERVAL_MS = 30_000

/** A burst of watch events (a display server creating its socket and lock) becomes one rescan after this, in ms. */
export const CAPABILITY_RESCAN_DEBOUNCE_MS = 250

/** The largest /proc or /sys file read whole, in bytes; the files read here are a few KiB at most. */
export const MAX_SYSTEM_FILE_BYTES = 256 * 1024

/** Power supplies, DRM cards and input devices looked at, so a strange /sys cannot make a scan unbounded. */
export const MAX_SCANNED_ENTRIES = 64

/**
 * Where the readers look. Tests point these at fixture trees of real files in a temp dir.
 */
export interface ResourceRoots {
  /** @default '/proc' */
  proc: string
  /** @default '/sys' */
  sys: string
  /** @default '/dev' */
  dev: string
  /** The X server sockets, X0 for ":0". @default '/tmp/.X11-unix' */
  x11Sockets: string
}

export const DEFAULT_RESOURCE_ROOTS: Readonly<ResourceRoots> = Object.freeze({
  proc: '/proc',
  sys: '/sys',
  dev: '/dev',
  x11Sockets: '/tmp/.X11-unix'
})
