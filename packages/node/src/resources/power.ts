import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { PowerState } from '@dreammesh/protocols'
import { MAX_SCANNED_ENTRIES } from './constants.js'
import { readAttribute } from './system-file.js'

/**
 * AC or battery, from /sys/class/power_supply (the kernel's sysfs-class-power ABI). A few tiny attribute
 * reads, cheap enough every second, and unplugging is news the cluster wants at once.
 *
 * - A supply of any type but Battery (Mains, USB, USB_C, ...) that is online means AC.
 * - A Battery with scope "Device" is a wireless mouse's or keyboard's, not this machine's, and is ignored.
 * - No supply at all (a desktop or server without ACPI power reporting, a container) is "unknown".
 */
export function readPower (sysRoot: string): PowerState {
  const dir = join(sysRoot, 'class', 'power_supply')
  let names: string[]
  try {
    names = readdirSync(dir).sort().slice(0, MAX_SCANNED_ENTRIES)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { source: 'unknown' }
    throw err
  }
  let mainsOnline = false
  let batteryPercent: number | undefined
  let discharging = false
  let charging = false
  for (const name of names) {
    const supply = join(dir, name)
    const type = readAttribute(join(supply, 'type'))
    if (type === undefined) continue
    if (type !== 'Battery') {
      if (readAttribute(join(supply, 'online')) === '1') mainsOnline = true
      continue
    }
    if (readAttribute(join(supply, 'scope')) === 'Device') continue
    const capacity = readAttribute(join(supply, 'capacity'))
    if (batteryPercent === undefined && capacity !== undefined && /^\d+$/.test(capacity)) batteryPercent = Math.min(100, Number(capacity))
    const status = readAttribute(join(supply, 'status'))
    if (status === 'Discharging') discharging = true
    // "Not charging": plugged in but held below a charge threshold.
    if (status === 'Charging' || status === 'Full' || status === 'Not charging') charging = true
  }
  // A laptop whose charger reports no Mains supply still shows it by charging (or being full).
  const source = mainsOnline || (charging && !discharging) ? 'ac' : discharging ? 'battery' : 'unknown'
  const power: PowerState = { source }
  if (batteryPercent !== undefined) power.batteryPercent = batteryPercent
  return power
}
