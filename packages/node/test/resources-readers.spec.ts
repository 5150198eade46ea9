import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { scanCapabilities, summarizeCapabilities } from '../src/resources/capabilities.js'
import { cpuPercentBetween, parseProcStat } from '../src/resources/cpu.js'
import { normalizeDisplay, parseAbstractDisplays, readDisplays } from '../src/resources/displays.js'
import { gpuName, readGpus } from '../src/resources/gpus.js'
import { parseInputById, parseInputDevices, readInputDevices } from '../src/resources/input-devices.js'
import { parseLoadavg, parseUptime } from '../src/resources/load.js'
import { parseMeminfo } from '../src/resources/memory.js'
import { parseNetDev, throughputBetween } from '../src/resources/network.js'
import { readPower } from '../src/resources/power.js'
import { readSystemFile } from '../src/resources/system-file.js'

/** Writes `files` (path relative to `root` → contents) as real files. */
async function tree (root: string, files: Record<string, string>): Promise<void> {
  for (const [path, contents] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), contents)
  }
}

const PROC_STAT = `cpu  100 0 50 800 50 0 0 0 0 0
cpu0 50 0 25 400 25 0 0 0 0 0
cpu1 50 0 25 400 25 0 0 0 0 0
intr 12345
ctxt 999
`

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 5000000 100 0 0 0 0 0 0 5000000 100 0 0 0 0 0 0
  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0
 wlan0: 300 3 0 0 0 0 0 0 400 4 0 0 0 0 0 0
`

const INPUT_DEVICES = `I: Bus=0019 Vendor=0000 Product=0001 Version=0000
N: Name="Power Button"
P: Phys=PNP0C0C/button/input0
H: Handlers=kbd event0
B: PROP=0
B: EV=3
B: KEY=10000000000000 0

I: Bus=0011 Vendor=0001 Product=0001 Version=ab83
N: Name="AT Translated Set 2 keyboard"
P: Phys=isa0060/serio0/input0
H: Handlers=sysrq kbd event3 leds
B: PROP=0
B: EV=120013
B: KEY=402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe

I: Bus=0003 Vendor=046d Product=c52b Version=0111
N: Name="Logitech USB Receiver Mouse"
H: Handlers=mouse0 event5
B: PROP=0
B: EV=17

I: Bus=0018 Vendor=06cb Product=7e7e Version=0100
N: Name="SYNA7DB5:01 06CB:7E7E Touchpad"
H: Handlers=mouse1 event6
B: PROP=5
B: EV=1b

I: Bus=0000 Vendor=0000 Product=0000 Version=0000
N: Name="HDA Intel PCH Headphone"
H: Handlers=event9
B: EV=21
`

describe('resource readers', () => {
  let root: string
  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'dreammesh-resources-')) })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  describe('cpu (/proc/stat)', () => {
    it('reads the aggregate line and counts the cpuN lines', () => {
      assert.deepEqual(parseProcStat(PROC_STAT), { busyTicks: 150, totalTicks: 1000, cpuCount: 2 })
    })

    it('busy percent between two readings; none for a first reading or counters going back', () => {
      const a = parseProcStat(PROC_STAT)!
      const b = { busyTicks: 150 + 30, totalTicks: 1000 + 120, cpuCount: 2 }
      assert.equal(cpuPercentBetween(a, b), 25)
      assert.equal(cpuPercentBetween(undefined, b), undefined)
      assert.equal(cpuPercentBetween(b, a), undefined)
      assert.equal(cpuPercentBetween(a, a), undefined)
    })

    it('malformed: undefined, not a guess', () => {
      assert.equal(parseProcStat(''), undefined)
      assert.equal(parseProcStat('cpu  a b c d\n'), undefined)
      assert.equal(parseProcStat('cpu0 1 2 3 4\n'), undefined)
    })
  })

  describe('memory (/proc/meminfo)', () => {
    it('used is total minus MemAvailable', () => {
      const m = parseMeminfo('MemTotal:       16000 kB\nMemFree:         1000 kB\nMemAvailable:    6000 kB\nCached: 4000 kB\n')
      assert.deepEqual(m, { usedBytes: 10_000 * 1024, totalBytes: 16_000 * 1024 })
    })

    it('an old kernel without MemAvailable: free plus buffers and cache', () => {
      const m = parseMeminfo('MemTotal: 16000 kB\nMemFree: 1000 kB\nBuffers: 500 kB\nCached: 4500 kB\n')
      assert.deepEqual(m, { usedBytes: 10_000 * 1024, totalBytes: 16_000 * 1024 })
    })

    it('malformed: undefined', () => {
      assert.equal(parseMeminfo('garbage'), undefined)
      assert.equal(parseMeminfo('MemTotal: 0 kB\nMemAvailable: 0 kB\n'), undefined)
      assert.equal(parseMeminfo('MemTotal: 100 kB\n'), undefined)
    })
  })

  describe('load and uptime', () => {
    it('parses /proc/loadavg and /proc/uptime', () => {
      assert.deepEqual(parseLoadavg('0.52 0.40 0.31 1/523 12345\n'), { load1: 0.52, load5: 0.4, load15: 0.31 })
      assert.equal(parseUptime('11698.12 22000.50\n'), 11698.12)
      assert.equal(parseLoadavg('x y z'), undefined)
      assert.equal(parseUptime(''), undefined)
    })
  })

  describe('network (/proc/net/dev)', () => {
    it('rates over all interfaces but loopback', () => {
      const before = parseNetDev(NET_DEV)!
      const after = parseNetDev(NET_DEV.replace('eth0: 1000', 'eth0: 3000').replace('0 2000 20', '0 6000 20').replace('lo: 5000000', 'lo: 9000000'))!
      assert.deepEqual(throughputBetween(before, after, 2_000), { rxBytesPerSec: 1_000, txBytesPerSec: 2_000 })
    })

    it('a new interface or counters going back add nothing, rather than a spike', () => {
      const before = parseNetDev(NET_DEV)!
      const after = parseNetDev(NET_DEV.replace('eth0: 1000', 'eth0: 10') + 'docker0: 99999 1 0 0 0 0 0 0 99999 1 0 0 0 0 0 0\n')!
      assert.deepEqual(throughputBetween(before, after, 1_000), { rxBytesPerSec: 0, txBytesPerSec: 0 })
      assert.equal(throughputBetween(undefined, after, 1_000), undefined)
      assert.equal(throughputBetween(before, after, 0), undefined)
    })

    it('not /proc/net/dev: undefined', () => {
      assert.equal(parseNetDev('hello\nworld\n'), undefined)
    })
  })

  describe('power (/sys/class/power_supply)', () => {
    const sys = (): string => join(root, 'sys')
    const supply = async (name: string, attrs: Record<string, string>): Promise<void> => {
      await tree(sys(), Object.fromEntries(Object.entries(attrs).map(([k, v]) => [`class/power_supply/${name}/${k}`, `${v}\n`])))
    }

    it('no power_supply directory (a desktop, a container): unknown', () => {
      assert.deepEqual(readPower(sys()), { source: 'unknown' })
    })

    it('a laptop on its charger: AC with the battery percentage', async () => {
      await supply('AC', { type: 'Mains', online: '1' })
      await supply('BAT0', { type: 'Battery', capacity: '80', status: 'Charging', scope: 'System' })
      assert.deepEqual(readPower(sys()), { source: 'ac', batteryPercent: 80 })
    })

    it('a laptop unplugged: battery', async () => {
      await supply('AC', { type: 'Mains', online: '0' })
      await supply('BAT0', { type: 'Battery', capacity: '55', status: 'Discharging' })
      assert.deepEqual(readPower(sys()), { source: 'battery', batteryPercent: 55 })
    })

    it('a wireless mouse\'s battery is not the machine\'s', async () => {
      await supply('hidpp_battery_0', { type: 'Battery', capacity: '10', status: 'Discharging', scope: 'Device' })
      assert.deepEqual(readPower(sys()), { source: 'unknown' })
    })

    it('charging through USB-C with no Mains supply still means AC', async () => {
      await supply('ucsi-source-psy-USBC000:001', { type: 'USB', online: '1' })
      await supply('BAT1', { type: 'Battery', capacity: '101', status: 'Not charging' })
      assert.deepEqual(readPower(sys()), { source: 'ac', batteryPercent: 100 })
    })
  })

  describe('capabilities', () => {
    it('displays from X sockets, abstract sockets and $DISPLAY, deduplicated', async () => {
      const x11 = join(root, 'x11')
      await tree(x11, { X0: '', X12: '', 'X1-lock': '', junk: '' })
      await tree(join(root, 'proc'), {
        'net/unix': 'Num       RefCount Protocol Flags    Type St Inode Path\n' +
          '0000000000000000: 00000002 00000000 00010000 0001 01 24321 @/tmp/.X11-unix/X3\n' +
          '0000000000000000: 00000002 00000000 00010000 0001 01 24322 /tmp/.X11-unix/X0\n'
      })
      assert.deepEqual(readDisplays(x11, join(root, 'proc'), ':0.0'), [':0', ':3', ':12'])
      assert.deepEqual(readDisplays(x11, join(root, 'proc'), 'localhost:10.0'), [':0', ':3', ':12', 'localhost:10.0'])
      assert.deepEqual(readDisplays(join(root, 'none'), join(root, 'none'), undefined), [])
      assert.equal(normalizeDisplay(':1.2'), ':1')
      assert.deepEqual(parseAbstractDisplays('x @/tmp/.X11-unix/X7\n'), [7])
    })

    it('keyboards and pointers from /proc/bus/input/devices, not power buttons or jacks', () => {
      assert.deepEqual(parseInputDevices(INPUT_DEVICES), [
        { name: 'AT Translated Set 2 keyboard', kind: 'keyboard' },
        { name: 'Logitech USB Receiver Mouse', kind: 'pointer' },
        { name: 'SYNA7DB5:01 06CB:7E7E Touchpad', kind: 'pointer' }
      ])
      assert.deepEqual(parseInputDevices('garbage\n\n\nN: nothing'), [])
    })

    it('falls back to /dev/input/by-id where /proc/bus/input/devices cannot be read', async () => {
      await tree(join(root, 'dev'), { 'input/by-id/usb-Logitech_USB_Receiver-event-kbd': '', 'input/by-id/usb-Logitech_USB_Receiver-if01-event-mouse': '', 'input/by-id/usb-Logitech_USB_Receiver-if01-mouse': '' })
      assert.deepEqual(readInputDevices(join(root, 'proc'), join(root, 'dev')), [
        { name: 'usb-Logitech_USB_Receiver', kind: 'keyboard' },
        { name: 'usb-Logitech_USB_Receiver-if01', kind: 'pointer' }
      ])
      assert.deepEqual(parseInputById(['event3', 'usb-x-event-joystick']), [])
      assert.deepEqual(readInputDevices(join(root, 'none'), join(root, 'none')), [])
    })

    it('GPUs from /sys/class/drm cards, not their connectors', async () => {
      const sys = join(root, 'sys')
      await tree(sys, {
        'class/drm/card0/device/vendor': '0x8086\n',
        'class/drm/card0/device/device': '0x3e92\n',
        'class/drm/card0-HDMI-A-1/status': 'connected\n',
        'class/drm/card1/device/vendor': '0x10de\n',
        'class/drm/card1/device/device': '0x2206\n',
        'class/drm/card10/device/vendor': '0xabcd\n',
        'class/drm/renderD128/dev': '226:128\n',
        'drivers/i915/.keep': '',
        'drivers/nvidia/.keep': ''
      })
      await symlink(join(sys, 'drivers/i915'), join(sys, 'class/drm/card0/device/driver'))
      await symlink(join(sys, 'drivers/nvidia'), join(sys, 'class/drm/card1/device/driver'))
      const gpus = readGpus(sys)
      assert.deepEqual(gpus.map(g => g.name), ['intel:3e92 i915', 'nvidia:2206 nvidia', 'abcd:'])
      assert.deepEqual(gpus[0], { card: 'card0', vendorId: '8086', deviceId: '3e92', driver: 'i915', name: 'intel:3e92 i915' })
      assert.deepEqual(readGpus(join(root, 'none')), [])
      assert.equal(gpuName('', '', 'vc4'), 'vc4')
    })

    it('a full scan, and its summary within the record\'s bounds', async () => {
      await tree(join(root, 'x11'), { X0: '', X1: '', X2: '', X3: '', X4: '', X5: '' })
      await tree(join(root, 'proc'), { 'bus/input/devices': INPUT_DEVICES })
      const caps = scanCapabilities({ roots: { proc: join(root, 'proc'), sys: join(root, 'sys'), dev: join(root, 'dev'), x11Sockets: join(root, 'x11') }, envDisplay: undefined, tags: ['gpu-box'] })
      assert.equal(caps.displays.length, 6)
      assert.deepEqual(caps.tags, ['gpu-box'])
      assert.deepEqual(summarizeCapabilities(caps), { displays: [':0', ':1', ':2', ':3'], inputDevices: 3, gpus: [] })
    })
  })

  it('readSystemFile reads a file bigger than its first buffer whole, and cuts at maxBytes', async () => {
    const big = 'x'.repeat(100_000)
    await tree(root, { big })
    assert.equal(readSystemFile(join(root, 'big')).length, 100_000)
    assert.equal(readSystemFile(join(root, 'big'), 20_000).length, 20_000)
    assert.throws(() => readSystemFile(join(root, 'missing')), /ENOENT/)
  })
})
