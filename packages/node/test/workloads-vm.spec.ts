import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { validateWorkloadSpec, type WorkloadSpec } from '@dreammesh/protocols'
import { SupervisorRunner } from '../src/agent/supervisor-runner.js'
import { createWorkloadSupervisor, type WorkloadSupervisor } from '../src/workloads/index.js'
import { ACCEL_FILE, probeAccel, qemuArgs } from '../src/workloads/vm/index.js'
import { buildGuestInitramfs, GUEST_READY, guestParts } from './support/vm-guest.js'
import { pollUntil } from './support/poll.js'

/**
 * The `vm` kind with real parts: the KVM probe (on this machine KVM guests hang, so the verdict is TCG, with
 * the reason) and its per-boot cache; then a real guest (Debian's kernel and a busybox initramfs built here)
 * run by the real supervisor under qemu, answering HTTP through a forwarded port, its console in the log,
 * and nothing of it left after a stop. Needs root (cgroups), qemu, a kernel in /boot, busybox and cpio;
 * skipped with the reason otherwise.
 */

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => { resolve(port) })
    })
  })
}

describe('vm workloads (qemu)', function () {
  this.timeout(120_000)
  let root: string
  let parts: ReturnType<typeof guestParts>

  before(async function () {
    parts = guestParts()
    if ('missing' in parts) { console.log(`      skipped: ${parts.missing}`); this.skip() }
    if (process.getuid?.() !== 0) { console.log('      skipped: needs root for cgroups'); this.skip() }
    root = await mkdtemp(join(tmpdir(), 'dreammesh-vm-'))
  })

  after(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  })

  it('builds the qemu command line from the guest: serial console on stdout, e1000 on user networking, forwards on loopback', () => {
    const args = qemuArgs({ kernel: '/k', initrd: '/i', append: 'quiet', memoryMb: 256, cpus: 2, forward: [{ host: 18080, guest: 80 }] }, 'tcg')
    assert.deepEqual(args.slice(args.indexOf('-accel'), args.indexOf('-accel') + 2), ['-accel', 'tcg,tb-size=64'])
    assert.ok(args.includes('user,id=net0,hostfwd=tcp:127.0.0.1:18080-:80'))
    assert.deepEqual(args.slice(-6), ['-kernel', '/k', '-initrd', '/i', '-append', 'console=ttyS0 quiet'])
    assert.ok(qemuArgs({ image: '/disk.qcow2', memoryMb: 512, cpus: 1 }, 'kvm').includes('file=/disk.qcow2,if=virtio'))
  })

  it('the KVM probe boots a guest within 10 s or says why not, once per boot', async function () {
    if ('missing' in parts) return
    const dataDir = join(root, 'probe')
    await import('node:fs/promises').then(async fs => await fs.mkdir(dataDir))
    const verdict = await probeAccel(dataDir, parts.kernel)
    console.log(`      verdict: ${verdict.accel} (${verdict.reason})`)
    assert.ok(verdict.accel === 'kvm' || verdict.accel === 'tcg')
    assert.match(verdict.reason, /^kvm: /)
    assert.ok(existsSync(join(dataDir, ACCEL_FILE)))
    // The cached verdict answers at once (no second probe).
    assert.deepEqual(await probeAccel(dataDir, parts.kernel), verdict)
  })

  it('a guest runs under the supervisor: it answers through its forwarded port, its console is in the log, and a stop leaves nothing', async function () {
    if ('missing' in parts) return
    const port = await freePort()
    const initrd = buildGuestInitramfs(join(root, 'guest'), parts, 8080, 'hello from the guest')
    const v = validateWorkloadSpec({
      name: 'guest', kind: 'vm', restart: { mode: 'never' },
      vm: { kernel: parts.kernel, initrd, append: 'quiet', memoryMb: 256, cpus: 1, forward: [{ host: port, guest: 8080 }] }
    })
    if (!v.ok) assert.fail(v.problems.join('; '))
    const spec: WorkloadSpec = v.spec
    // The probe's data dir: its cached verdict spares this guest a second probe.
    const dataDir = join(root, 'probe')
    let supervisor: WorkloadSupervisor | undefined
    const errors: string[] = []
    try {
      supervisor = await createWorkloadSupervisor({ agentId: 'vm-test', dataDir })
      const said: string[] = []
      const runner = new SupervisorRunner(supervisor, (_k, err) => { errors.push(err.message) }, { dataDir, say: m => { said.push(m) } })
      const started = performance.now()
      runner.start('w/guest/0', spec, 0, 7)
      let body = ''
      await pollUntil(() => `the guest answers on its forwarded port (errors: ${errors.join('; ')})`, async () => {
        body = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) }).then(async r => await r.text(), () => '')
        return body.includes('hello from the guest')
      }, 90_000)
      console.log(`      the guest answered ${((performance.now() - started) / 1000).toFixed(1)} s after the start (${said.join('; ')})`)
      const log = readFileSync(join(dataDir, 'logs', 'guest-0.stdout.log'), 'utf8')
      assert.ok(log.includes(GUEST_READY), 'the serial console is in the instance log')
      const status = supervisor.snapshot().find(s => s.workload === 'guest')
      assert.equal(status?.epoch, 7)
      await runner.stop('w/guest/0')
      assert.ok(supervisor.snapshot().every(s => s.workload !== 'guest' || ['exited', 'failed', 'stopped'].includes(s.state)), JSON.stringify(supervisor.snapshot()))
      const qemuLeft = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) }).then(() => true, () => false)
      assert.equal(qemuLeft, false, 'nothing answers after the stop')
      assert.deepEqual(errors, [])
    } finally {
      await supervisor?.close()
    }
  })
})
