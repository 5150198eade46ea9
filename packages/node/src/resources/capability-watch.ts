import { watch, type FSWatcher } from 'node:fs'

/**
 * Tells the sampler when to rescan capabilities. Two sources:
 *
 * - `fs.watch` (inotify) on directories where a change shows up as a file: the X socket directory (a display
 *   server starting or stopping) and /dev/input (a keyboard or mouse plugged in, via udev). A burst of
 *   events becomes one rescan after `debounceMs`.
 * - A slow poll every `intervalMs` for everything else: procfs and sysfs raise no inotify events, so a GPU
 *   appearing under /sys/class/drm is only seen this way, and so is a watched directory that did not exist
 *   yet at start (/tmp/.X11-unix before the first X server). Its cost is a few readdirs every 30 s.
 */
export interface CapabilityWatchInit {
  dirs: string[]
  intervalMs: number
  debounceMs: number
  rescan: () => void
  /** Whether to use fs.watch at all. @default true */
  watch?: boolean
}

/** Starts watching; the returned function stops everything it started. Nothing here keeps the process alive. */
export function watchCapabilities (init: CapabilityWatchInit): () => void {
  const watchers: FSWatcher[] = []
  let debounce: NodeJS.Timeout | undefined
  const soon = (): void => {
    if (debounce !== undefined) return
    debounce = setTimeout(() => { debounce = undefined; init.rescan() }, init.debounceMs)
    debounce.unref()
  }
  if (init.watch !== false) {
    for (const dir of init.dirs) {
      try {
        const w = watch(dir, { persistent: false }, soon)
        // A watched directory that goes away (or any watch error) leaves the poll to notice changes.
        w.on('error', () => { w.close() })
        w.unref()
        watchers.push(w)
      } catch {
        // Absent directory, or inotify watches exhausted: the poll covers it.
      }
    }
  }
  const poll = setInterval(init.rescan, init.intervalMs)
  poll.unref()
  return () => {
    clearInterval(poll)
    if (debounce !== undefined) clearTimeout(debounce)
    for (const w of watchers) w.close()
  }
}
