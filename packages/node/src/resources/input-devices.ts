import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { MAX_SCANNED_ENTRIES } from './constants.js'
import { readSystemFile } from './system-file.js'

/**
 * The keyboards and pointers attached to this node: what the one keyboard and mouse of the cluster could be
 * (ARCHITECTURE.md, input ownership). Power buttons, lid switches and the PC speaker are input devices to
 * the kernel too, and are left out.
 */

export type InputDeviceKind = 'keyboard' | 'pointer'

export interface InputDevice {
  name: string
  kind: InputDeviceKind
}

/** EV_REP (linux/input-event-codes.h): the device auto-repeats keys. Real keyboards do; power buttons do not. */
const EV_REP_BIT = 0x14

/**
 * Parses /proc/bus/input/devices: one block per device, "N: Name=..." for its name, "H: Handlers=..." for the
 * kernel handlers bound to it, and "B: EV=..." for the event types it sends (a hex bitmask).
 */
export function parseInputDevices (text: string): InputDevice[] {
  const devices: InputDevice[] = []
  for (const block of text.split(/\n\s*\n/)) {
    const name = /^N: Name="(.*)"$/m.exec(block)?.[1]
    const handlers = (/^H: Handlers=(.*)$/m.exec(block)?.[1] ?? '').trim().split(/\s+/)
    const ev = Number.parseInt(/^B: EV=([0-9a-f]+)$/mi.exec(block)?.[1] ?? '0', 16)
    if (name === undefined) continue
    if (handlers.some(h => /^mouse\d+$/.test(h))) devices.push({ name, kind: 'pointer' })
    else if (handlers.includes('kbd') && Math.floor(ev / 2 ** EV_REP_BIT) % 2 === 1) devices.push({ name, kind: 'keyboard' })
  }
  return devices.slice(0, MAX_SCANNED_ENTRIES)
}

/** The udev names in /dev/input/by-id, "usb-Logitech_USB_Receiver-event-kbd": USB and Bluetooth devices only. */
export function parseInputById (names: string[]): InputDevice[] {
  const devices: InputDevice[] = []
  for (const name of names) {
    const m = /^(.*)-event-(kbd|mouse)$/.exec(name)
    if (m !== null) devices.push({ name: m[1], kind: m[2] === 'kbd' ? 'keyboard' : 'pointer' })
  }
  return devices.slice(0, MAX_SCANNED_ENTRIES)
}

/**
 * From /proc/bus/input/devices, which lists every device; where it cannot be read, from /dev/input/by-id.
 * Neither there (a container, a headless VM) means none.
 */
export function readInputDevices (procRoot: string, devRoot: string): InputDevice[] {
  try {
    return parseInputDevices(readSystemFile(join(procRoot, 'bus', 'input', 'devices'), 1024 * 1024))
  } catch {
    try {
      return parseInputById(readdirSync(join(devRoot, 'input', 'by-id')).sort())
    } catch {
      return []
    }
  }
}
