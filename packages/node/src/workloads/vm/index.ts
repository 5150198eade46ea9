/**
 * `vm` workloads: a guest under qemu, one process per instance in its own cgroup like any other, with KVM
 * only where a probe guest boots (docs/adr/0013-vm-guests.md).
 */
export { qemuArgs, qemuMemoryBytes, QEMU_BINARY, QEMU_OVERHEAD_MB, TCG_CACHE_MB, type Accel } from './qemu-args.js'
export { probeAccel, ACCEL_FILE, KVM_PROBE_BUDGET_MS, type AccelVerdict } from './accel-probe.js'
