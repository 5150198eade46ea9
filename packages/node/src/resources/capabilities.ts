import { MAX_DISPLAY_NAMES, MAX_GPU_NAMES, truncateCapabilityName, type CapabilitySummary } from '@dreammesh/protocols'
import type { ResourceRoots } from './constants.js'
import { readDisplays } from './displays.js'
import { readGpus, type Gpu } from './gpus.js'
import { readInputDevices, type InputDevice } from './input-devices.js'

/**
 * What this node can offer besides CPU and memory: X displays, keyboards and pointers, GPUs, and the tags
 * its user gave it. Scanned at start and when something changes (capability-watch.ts), never per second:
 * these change when a person plugs something in, not on their own.
 */
export interface Capabilities {
  displays: string[]
  inputDevices: InputDevice[]
  gpus: Gpu[]
  /** User-given, as passed in; they travel in `MemberMeta.tags`, not in the resource record. */
  tags: string[]
}

export interface CapabilityScanInit {
  roots: ResourceRoots
  /** The node's $DISPLAY, if any. */
  envDisplay: string | undefined
  tags: string[]
}

/**
 * One scan: a few readdirs and small sysfs reads, all in memory (system-file.ts says why synchronously).
 * Each part that cannot be read is empty: a missing /sys/class/drm means no GPU we can use.
 */
export function scanCapabilities (init: CapabilityScanInit): Capabilities {
  return {
    displays: readDisplays(init.roots.x11Sockets, init.roots.proc, init.envDisplay),
    inputDevices: readInputDevices(init.roots.proc, init.roots.dev),
    gpus: readGpus(init.roots.sys),
    tags: [...init.tags]
  }
}

/** The compact form carried in the resource record, within its bounds. */
export function summarizeCapabilities (c: Capabilities): CapabilitySummary {
  return {
    displays: c.displays.slice(0, MAX_DISPLAY_NAMES).map(truncateCapabilityName),
    inputDevices: c.inputDevices.length,
    gpus: c.gpus.slice(0, MAX_GPU_NAMES).map(g => truncateCapabilityName(g.name))
  }
}

/** Whether two scans found the same things (order included: the readers sort). */
export function capabilitiesEqual (a: Capabilities, b: Capabilities): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
