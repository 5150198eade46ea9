/**
 * A member's resources and capabilities (issue "The real node", section 3): the record a node samples and
 * carries in its owner-versioned `Meta.state`, its bounded codec, and the pure policy that decides when a
 * new sample is worth publishing. The sampling itself is I/O and lives in @dreammesh/node.
 */
export * from './constants.js'
export {
  decodeResourceRecord,
  encodeResourceRecord,
  truncateCapabilityName,
  type CapabilitySummary,
  type DecodedResourceRecord,
  type PowerSource,
  type PowerState,
  type ResourceDropReason,
  type ResourceRecord
} from './record.js'
export { publishReason, resourcePolicy, sameCapabilities, shouldPublish, silenceMs, type PublishReason, type ResourcePolicy } from './threshold.js'
