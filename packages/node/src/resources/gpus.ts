import { readdirSync, readlinkSync } from 'node:fs'
import { basename, join } from 'node:path'
import { MAX_SCANNED_ENTRIES } from './constants.js'
import { readAttribute } from './system-file.js'

/**
 * GPUs from /sys/class/drm: one "cardN" per GPU the kernel drives. "cardN-HDMI-A-1" and the like are that
 * card's connectors, not GPUs. The PCI ids and the driver name come from sysfs attributes and the driver
 * symlink, so nothing is spawned (lspci would be).
 */

export interface Gpu {
  /** "card0" */
  card: string
  /** PCI vendor id, "8086"; empty where the device is not on PCI (a SoC's display controller). */
  vendorId: string
  /** PCI device id, "3e92" */
  deviceId: string
  /** The kernel driver, "i915"; empty when unbound. */
  driver: string
  /** A short name for the cluster: "intel:3e92 i915". */
  name: string
}

/** Vendors a person recognises; any other is shown by its PCI id. */
const VENDOR_NAMES: Record<string, string> = {
  '8086': 'intel',
  '10de': 'nvidia',
  '1002': 'amd',
  '1af4': 'virtio',
  '1234': 'qemu',
  '15ad': 'vmware',
  '1b36': 'redhat',
  '1a03': 'aspeed',
  '102b': 'matrox'
}

const CARD = /^card(\d+)$/

/** "0x8086" as written in sysfs, to "8086". */
function pciId (raw: string | undefined): string {
  return raw === undefined ? '' : raw.replace(/^0x/i, '').toLowerCase()
}

export function gpuName (vendorId: string, deviceId: string, driver: string): string {
  const vendor = VENDOR_NAMES[vendorId] ?? vendorId
  const id = vendor === '' ? driver : `${vendor}:${deviceId}`
  return driver === '' || id === driver ? id : `${id} ${driver}`
}

export function readGpus (sysRoot: string): Gpu[] {
  const dir = join(sysRoot, 'class', 'drm')
  let cards: string[]
  try {
    cards = readdirSync(dir).filter(name => CARD.test(name))
  } catch {
    return [] // no DRM at all: a server without a GPU, a container
  }
  cards.sort((a, b) => Number(CARD.exec(a)?.[1]) - Number(CARD.exec(b)?.[1]))
  const gpus: Gpu[] = []
  for (const card of cards.slice(0, MAX_SCANNED_ENTRIES)) {
    const device = join(dir, card, 'device')
    const vendorId = pciId(readAttribute(join(device, 'vendor')))
    const deviceId = pciId(readAttribute(join(device, 'device')))
    let driver = ''
    try {
      driver = basename(readlinkSync(join(device, 'driver')))
    } catch {
      // unbound, or not a symlink in this tree
    }
    if (vendorId === '' && driver === '') continue // not a device we can say anything about
    gpus.push({ card, vendorId, deviceId, driver, name: gpuName(vendorId, deviceId, driver) })
  }
  return gpus
}
