/**
 * Bounds of the resource record (wire/resources.proto). The record rides in a member's `Meta.state`, which
 * membership caps at `maxStateBytes` (512 in `lanConfig()`); these bounds keep the largest possible record
 * well under that, so a record never has to be refused by membership (the test "a maximal record" checks it).
 */

/** The resource record wire version this code speaks. A record of any other version is dropped, counted. */
export const RESOURCE_RECORD_VERSION = 1

/** X displays listed in the summary. A member rarely has more than one or two; the rest stay local. */
export const MAX_DISPLAY_NAMES = 4

/** GPUs listed in the summary. Beyond four, a placement decision gains nothing from the names. */
export const MAX_GPU_NAMES = 4

/** Longest display or GPU name, in UTF-8 bytes; longer names are cut (on a character boundary). */
export const MAX_CAPABILITY_NAME_BYTES = 32

/** Input devices counted, so a silly count cannot grow the varint. */
export const MAX_INPUT_DEVICES = 1_000

/**
 * The largest encoded record, in bytes. The maximal record (every field at its largest, full lists of
 * longest names) encodes to less than this; a decoder refuses anything longer as `oversized`. It leaves
 * room under `maxStateBytes` (512) for a later version to grow.
 */
export const MAX_RESOURCE_RECORD_BYTES = 400
