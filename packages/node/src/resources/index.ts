/**
 * Resource sampling (issue "The real node", section 3): every second the node samples CPU, load, memory,
 * disk free in its data dir, network throughput, uptime and power, and scans its capabilities (X displays,
 * keyboards and pointers, GPUs, user tags) at start and on change. `ResourcePublisher` turns the samples
 * into the owner-versioned record in the member's `Meta.state`, using the policy and codec from
 * @dreammesh/protocols.
 *
 * @example
 * ```ts
 * const sampler = new ResourceSampler({ dataDir: '/var/lib/dreammesh', tags: ['gpu-box'] })
 * const publisher = new ResourcePublisher({ publish: (state) => { updateMeta({ state }) } })
 * sampler.addEventListener('sample', (event) => { publisher.offer(event.detail) })
 * await sampler.start()
 * console.log(sampler.current(), sampler.capabilities())
 * ```
 */
export { ResourceSampler, type ResourceSamplerEvents, type ResourceSamplerInit, type ResourceSamplerStats } from './sampler.js'
export { ResourcePublisher, type ResourcePublisherInit } from './publisher.js'
export { scanCapabilities, summarizeCapabilities, capabilitiesEqual, type Capabilities, type CapabilityScanInit } from './capabilities.js'
export type { Gpu } from './gpus.js'
export type { InputDevice, InputDeviceKind } from './input-devices.js'
export {
  CAPABILITY_RESCAN_DEBOUNCE_MS,
  CAPABILITY_RESCAN_INTERVAL_MS,
  DEFAULT_RESOURCE_ROOTS,
  MAX_SCANNED_ENTRIES,
  MAX_SYSTEM_FILE_BYTES,
  SAMPLE_INTERVAL_MS,
  type ResourceRoots
} from './constants.js'
