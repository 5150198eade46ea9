import { spawn } from 'node:child_process'
import { access, mkdir, readdir, readFile } from 'node:fs/promises'
import { constants } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../../identity/atomic-file.js'
import { QEMU_BINARY, type Accel } from './qemu-args.js'

/** The probe's verdict, cached per boot in the data dir. */
export interface AccelVerdict {
  accel: Accel
  /** Why, for a person: what the probe saw. */
  reason: string
  /** The boot it holds for (/proc/sys/kernel/random/boot_id). */
  bootId: string
}

/** The file in the data dir that caches the verdict. */
export const ACCEL_FILE = 'vm-accel.json'
/** A KVM guest must reach its init within this long, in ms, or KVM is not trusted on this host (issue 5). */
export const KVM_PROBE_BUDGET_MS = 10_000
/** The init the probe kernel is told to run: it does not exist, so the kernel says so and stops. */
const PROBE_INIT = '/dreammesh-probe'
/** Lines a booting Linux prints once it is about to run init: proof that the guest booted. */
const BOOTED = [`Run ${PROBE_INIT} as init process`, 'No working init found', 'Kernel panic']

/**
 * Whether guests run under KVM here. /dev/kvm existing is not enough (on some hosts a KVM guest hangs at
 * boot), so a probe guest is booted: a kernel with `-accel kvm`, no disk and an init that does not exist.
 * If its console shows it reaching init within KVM_PROBE_BUDGET_MS, KVM works; otherwise every guest runs
 * under TCG. The verdict is cached for the boot, so the probe costs at most its budget once per boot, and
 * it runs at the first vm start, never at the agent's start (an idle node stays idle).
 */
export async function probeAccel (dataDir: string, kernel: string | undefined): Promise<AccelVerdict> {
  const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim()
  const cached = await readCached(join(dataDir, ACCEL_FILE), bootId)
  if (cached !== undefined) return cached
  const verdict = await probe(bootId, kernel ?? await hostKernel())
  // The cache only saves a later probe: a data dir that cannot take it does not stop the guest.
  await mkdir(dataDir, { recursive: true }).then(async () => { await writeFileAtomic(join(dataDir, ACCEL_FILE), Buffer.from(JSON.stringify(verdict))) }).catch(() => {})
  return verdict
}

async function probe (bootId: string, kernel: string | undefined): Promise<AccelVerdict> {
  const tcg = (reason: string): AccelVerdict => ({ accel: 'tcg', reason, bootId })
  if (await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => false, () => true)) return tcg('kvm: /dev/kvm is missing or not usable by this user; using tcg')
  if (kernel === undefined) return tcg('kvm: no kernel to probe with (no /boot/vmlinuz-*); using tcg')
  const args = ['-nodefaults', '-no-reboot', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-accel', 'kvm', '-m', '128',
    '-kernel', kernel, '-append', `console=ttyS0 panic=-1 rdinit=${PROBE_INIT} init=${PROBE_INIT}`]
  const started = performance.now()
  return await new Promise<AccelVerdict>(resolve => {
    let out = ''
    let done = false
    const child = spawn(QEMU_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const finish = (v: AccelVerdict): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      child.kill('SIGKILL')
      resolve(v)
    }
    const timer = setTimeout(() => { finish(tcg(`kvm: the probe guest did not boot within ${KVM_PROBE_BUDGET_MS / 1000} s; using tcg`)) }, KVM_PROBE_BUDGET_MS)
    const look = (chunk: Buffer): void => {
      out = (out + chunk.toString('utf8')).slice(-8192)
      if (BOOTED.some(line => out.includes(line))) {
        finish({ accel: 'kvm', reason: `kvm: a probe guest booted in ${((performance.now() - started) / 1000).toFixed(1)} s`, bootId })
      }
    }
    child.stdout.on('data', look)
    child.stderr.on('data', look)
    child.once('error', err => { finish(tcg(`kvm: cannot run ${QEMU_BINARY} (${err.message}); using tcg`)) })
    child.once('exit', code => {
      if (!done) finish(tcg(`kvm: the probe guest exited (code ${String(code)}) before booting: ${out.trim().split('\n').slice(-1)[0] ?? ''}; using tcg`))
    })
  })
}

async function readCached (file: string, bootId: string): Promise<AccelVerdict | undefined> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as Partial<AccelVerdict>
    if (v.bootId === bootId && (v.accel === 'kvm' || v.accel === 'tcg') && typeof v.reason === 'string') return { accel: v.accel, reason: v.reason, bootId }
  } catch {
    // Absent or unreadable: probe again.
  }
  return undefined
}

/** The newest /boot/vmlinuz-*, for probing image guests. */
async function hostKernel (): Promise<string | undefined> {
  const names = (await readdir('/boot').catch(() => [] as string[])).filter(n => n.startsWith('vmlinuz-')).sort()
  const last = names[names.length - 1]
  return last === undefined ? undefined : join('/boot', last)
}
