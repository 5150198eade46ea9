/**
 * Names of what a LAN creates, and the sweep of what a crashed run left behind.
 *
 * Every name starts `dmt-<pid in base 36>-<lan in base 36>`, so a sweep can tell whose it is: if that
 * process is gone, nothing will ever clean it up but the sweep. Base 36 because Linux interface names are at
 * most 15 bytes (IFNAMSIZ - 1): `dmt-2horx-av12` is the longest veth name at the largest pid (4194304).
 */
import { existsSync, readdirSync } from 'node:fs'
import { tryRun } from './ip.ts'

/** Linux rejects longer interface names. */
const IFNAME_MAX_CHARS = 15
const OURS = /^dmt-([0-9a-z]+)-/

let lanCount = 0

export interface LanNames {
  /** Prefix shared by every name of this LAN. */
  prefix: string
  bridge: string
  /** The namespace of member `i` (0-based). */
  ns: (i: number) => string
  /** The root-side end of member `i`'s veth pair; the namespace side is always `eth0`. */
  veth: (i: number) => string
}

/** Fresh names for a new LAN of this process. */
export function newLanNames (): LanNames {
  const prefix = `dmt-${process.pid.toString(36)}-${(lanCount++).toString(36)}`
  const check = (name: string): string => {
    if (name.length > IFNAME_MAX_CHARS) throw new Error(`interface name ${name} is over ${IFNAME_MAX_CHARS} chars`)
    return name
  }
  return {
    prefix,
    bridge: check(`${prefix}br`),
    ns: (i) => `${prefix}-n${i}`,
    veth: (i) => check(`${prefix}v${i}`)
  }
}

/** Whether a `dmt-` name belongs to a process that no longer exists. */
function isStale (name: string): boolean {
  const m = OURS.exec(name)
  if (m === null) return false
  const pid = parseInt(m[1], 36)
  return pid !== process.pid && !existsSync(`/proc/${pid}`)
}

/**
 * Removes namespaces and links that earlier, crashed runs left behind. Processes still inside a stale
 * namespace are killed first, or the namespace would live on through them. nft tables live inside the
 * namespaces and go with them.
 */
export function sweepStale (): string[] {
  const removed: string[] = []
  const nsList = tryRun('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n !== '')
  for (const ns of nsList.filter(isStale)) {
    for (const pid of tryRun('ip', ['netns', 'pids', ns]).stdout.split(/\s+/).filter((s) => s !== '')) {
      try { process.kill(Number(pid), 'SIGKILL') } catch { /* already gone */ }
    }
    tryRun('ip', ['netns', 'del', ns])
    removed.push(ns)
  }
  for (const link of readdirSync('/sys/class/net').filter(isStale)) {
    tryRun('ip', ['link', 'del', link])
    removed.push(link)
  }
  return removed
}
