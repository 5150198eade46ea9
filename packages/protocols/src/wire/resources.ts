import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum PowerSource {
  POWER_UNKNOWN = 'POWER_UNKNOWN',
  AC = 'AC',
  BATTERY = 'BATTERY'
}

enum __PowerSourceValues {
  POWER_UNKNOWN = 0,
  AC = 1,
  BATTERY = 2
}

export namespace PowerSource {
  export const codec = (): Codec<PowerSource> => {
    return enumeration<PowerSource>(__PowerSourceValues)
  }
}

export interface Capabilities {
  displays: string[]
  inputDevices: number
  gpus: string[]
}

export namespace Capabilities {
  let _codec: Codec<Capabilities>

  export const codec = (): Codec<Capabilities> => {
    if (_codec == null) {
      _codec = message<Capabilities>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.displays != null && obj.displays.length > 0) {
          for (const value of obj.displays) {
            w.uint32(10)
            w.string(value)
          }
        }

        if ((obj.inputDevices != null && obj.inputDevices !== 0)) {
          w.uint32(16)
          w.uint32(obj.inputDevices)
        }

        if (obj.gpus != null && obj.gpus.length > 0) {
          for (const value of obj.gpus) {
            w.uint32(26)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          displays: [],
          inputDevices: 0,
          gpus: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.displays != null && obj.displays.length === opts.limits.displays) {
                throw new MaxLengthError('Decode error - repeated field "displays" had too many elements')
              }

              if (obj.displays.length === 4) {
                throw new MaxLengthError('Decode error - repeated field "displays" had too many elements')
              }

              obj.displays.push(reader.string())
              break
            }
            case 2: {
              obj.inputDevices = reader.uint32()
              break
            }
            case 3: {
              if (opts.limits?.gpus != null && obj.gpus.length === opts.limits.gpus) {
                throw new MaxLengthError('Decode error - repeated field "gpus" had too many elements')
              }

              if (obj.gpus.length === 4) {
                throw new MaxLengthError('Decode error - repeated field "gpus" had too many elements')
              }

              obj.gpus.push(reader.string())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          displays: 4,
          gpus: 4
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.displays != null && obj.displays === opts.limits.displays) {
                throw new MaxLengthError('Streaming decode error - repeated field "displays" had too many elements')
              }

              if (obj.displays === 4) {
                throw new MaxLengthError('Streaming decode error - repeated field "displays" had too many elements')
              }

              yield {
                field: `${prefix}.displays[]`,
                index: obj.displays,
                value: reader.string()
              }

              obj.displays++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.inputDevices`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              if (opts.limits?.gpus != null && obj.gpus === opts.limits.gpus) {
                throw new MaxLengthError('Streaming decode error - repeated field "gpus" had too many elements')
              }

              if (obj.gpus === 4) {
                throw new MaxLengthError('Streaming decode error - repeated field "gpus" had too many elements')
              }

              yield {
                field: `${prefix}.gpus[]`,
                index: obj.gpus,
                value: reader.string()
              }

              obj.gpus++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface CapabilitiesDisplaysFieldEvent {
    field: '$.displays[]'
    index: number
    value: string
  }

  export interface CapabilitiesInputDevicesFieldEvent {
    field: '$.inputDevices'
    value: number
  }

  export interface CapabilitiesGpusFieldEvent {
    field: '$.gpus[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<Capabilities>): Uint8Array {
    return encodeMessage(obj, Capabilities.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Capabilities>): Capabilities {
    return decodeMessage(buf, Capabilities.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Capabilities>): Generator<CapabilitiesDisplaysFieldEvent | CapabilitiesInputDevicesFieldEvent | CapabilitiesGpusFieldEvent> {
    return streamMessage(buf, Capabilities.codec(), opts)
  }
}

export interface ResourceRecord {
  version: number
  seq: number
  cpuPermille?: number
  cpuCount: number
  load1x100?: number
  load5x100?: number
  load15x100?: number
  memUsedBytes?: number
  memTotalBytes?: number
  diskFreeBytes?: number
  netRxBytesPerSec?: number
  netTxBytesPerSec?: number
  uptimeSec: number
  power: PowerSource
  batteryPercent?: number
  capabilities?: Capabilities
}

export namespace ResourceRecord {
  let _codec: Codec<ResourceRecord>

  export const codec = (): Codec<ResourceRecord> => {
    if (_codec == null) {
      _codec = message<ResourceRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(16)
          w.uint32(obj.seq)
        }

        if (obj.cpuPermille != null) {
          w.uint32(24)
          w.uint32(obj.cpuPermille)
        }

        if ((obj.cpuCount != null && obj.cpuCount !== 0)) {
          w.uint32(32)
          w.uint32(obj.cpuCount)
        }

        if (obj.load1x100 != null) {
          w.uint32(40)
          w.uint32(obj.load1x100)
        }

        if (obj.load5x100 != null) {
          w.uint32(48)
          w.uint32(obj.load5x100)
        }

        if (obj.load15x100 != null) {
          w.uint32(56)
          w.uint32(obj.load15x100)
        }

        if (obj.memUsedBytes != null) {
          w.uint32(64)
          w.uint64Number(obj.memUsedBytes)
        }

        if (obj.memTotalBytes != null) {
          w.uint32(72)
          w.uint64Number(obj.memTotalBytes)
        }

        if (obj.diskFreeBytes != null) {
          w.uint32(80)
          w.uint64Number(obj.diskFreeBytes)
        }

        if (obj.netRxBytesPerSec != null) {
          w.uint32(88)
          w.uint64Number(obj.netRxBytesPerSec)
        }

        if (obj.netTxBytesPerSec != null) {
          w.uint32(96)
          w.uint64Number(obj.netTxBytesPerSec)
        }

        if ((obj.uptimeSec != null && obj.uptimeSec !== 0)) {
          w.uint32(104)
          w.uint32(obj.uptimeSec)
        }

        if (obj.power != null && __PowerSourceValues[obj.power] !== 0) {
          w.uint32(112)
          PowerSource.codec().encode(obj.power, w)
        }

        if (obj.batteryPercent != null) {
          w.uint32(120)
          w.uint32(obj.batteryPercent)
        }

        if (obj.capabilities != null) {
          w.uint32(130)
          Capabilities.codec().encode(obj.capabilities, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          seq: 0,
          cpuCount: 0,
          uptimeSec: 0,
          power: PowerSource.POWER_UNKNOWN
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.seq = reader.uint32()
              break
            }
            case 3: {
              obj.cpuPermille = reader.uint32()
              break
            }
            case 4: {
              obj.cpuCount = reader.uint32()
              break
            }
            case 5: {
              obj.load1x100 = reader.uint32()
              break
            }
            case 6: {
              obj.load5x100 = reader.uint32()
              break
            }
            case 7: {
              obj.load15x100 = reader.uint32()
              break
            }
            case 8: {
              obj.memUsedBytes = reader.uint64Number()
              break
            }
            case 9: {
              obj.memTotalBytes = reader.uint64Number()
              break
            }
            case 10: {
              obj.diskFreeBytes = reader.uint64Number()
              break
            }
            case 11: {
              obj.netRxBytesPerSec = reader.uint64Number()
              break
            }
            case 12: {
              obj.netTxBytesPerSec = reader.uint64Number()
              break
            }
            case 13: {
              obj.uptimeSec = reader.uint32()
              break
            }
            case 14: {
              obj.power = PowerSource.codec().decode(reader)
              break
            }
            case 15: {
              obj.batteryPercent = reader.uint32()
              break
            }
            case 16: {
              obj.capabilities = Capabilities.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.capabilities
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.cpuPermille`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.cpuCount`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.load1x100`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.load5x100`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.load15x100`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.memUsedBytes`,
                value: reader.uint64Number()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.memTotalBytes`,
                value: reader.uint64Number()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.diskFreeBytes`,
                value: reader.uint64Number()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.netRxBytesPerSec`,
                value: reader.uint64Number()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.netTxBytesPerSec`,
                value: reader.uint64Number()
              }
              break
            }
            case 13: {
              yield {
                field: `${prefix}.uptimeSec`,
                value: reader.uint32()
              }
              break
            }
            case 14: {
              yield {
                field: `${prefix}.power`,
                value: PowerSource.codec().decode(reader)
              }
              break
            }
            case 15: {
              yield {
                field: `${prefix}.batteryPercent`,
                value: reader.uint32()
              }
              break
            }
            case 16: {
              yield * Capabilities.codec().stream(reader, reader.uint32(), `${prefix}.capabilities`, {
                limits: opts.limits?.capabilities
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ResourceRecordVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface ResourceRecordSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface ResourceRecordCpuPermilleFieldEvent {
    field: '$.cpuPermille'
    value: number
  }

  export interface ResourceRecordCpuCountFieldEvent {
    field: '$.cpuCount'
    value: number
  }

  export interface ResourceRecordLoad1x100FieldEvent {
    field: '$.load1x100'
    value: number
  }

  export interface ResourceRecordLoad5x100FieldEvent {
    field: '$.load5x100'
    value: number
  }

  export interface ResourceRecordLoad15x100FieldEvent {
    field: '$.load15x100'
    value: number
  }

  export interface ResourceRecordMemUsedBytesFieldEvent {
    field: '$.memUsedBytes'
    value: number
  }

  export interface ResourceRecordMemTotalBytesFieldEvent {
    field: '$.memTotalBytes'
    value: number
  }

  export interface ResourceRecordDiskFreeBytesFieldEvent {
    field: '$.diskFreeBytes'
    value: number
  }

  export interface ResourceRecordNetRxBytesPerSecFieldEvent {
    field: '$.netRxBytesPerSec'
    value: number
  }

  export interface ResourceRecordNetTxBytesPerSecFieldEvent {
    field: '$.netTxBytesPerSec'
    value: number
  }

  export interface ResourceRecordUptimeSecFieldEvent {
    field: '$.uptimeSec'
    value: number
  }

  export interface ResourceRecordPowerFieldEvent {
    field: '$.power'
    value: PowerSource
  }

  export interface ResourceRecordBatteryPercentFieldEvent {
    field: '$.batteryPercent'
    value: number
  }

  export interface ResourceRecordCapabilitiesDisplaysFieldEvent {
    field: '$.capabilities.displays[]'
    index: number
    value: string
  }

  export interface ResourceRecordCapabilitiesInputDevicesFieldEvent {
    field: '$.capabilities.inputDevices'
    value: number
  }

  export interface ResourceRecordCapabilitiesGpusFieldEvent {
    field: '$.capabilities.gpus[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<ResourceRecord>): Uint8Array {
    return encodeMessage(obj, ResourceRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ResourceRecord>): ResourceRecord {
    return decodeMessage(buf, ResourceRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ResourceRecord>): Generator<ResourceRecordVersionFieldEvent | ResourceRecordSeqFieldEvent | ResourceRecordCpuPermilleFieldEvent | ResourceRecordCpuCountFieldEvent | ResourceRecordLoad1x100FieldEvent | ResourceRecordLoad5x100FieldEvent | ResourceRecordLoad15x100FieldEvent | ResourceRecordMemUsedBytesFieldEvent | ResourceRecordMemTotalBytesFieldEvent | ResourceRecordDiskFreeBytesFieldEvent | ResourceRecordNetRxBytesPerSecFieldEvent | ResourceRecordNetTxBytesPerSecFieldEvent | ResourceRecordUptimeSecFieldEvent | ResourceRecordPowerFieldEvent | ResourceRecordBatteryPercentFieldEvent | ResourceRecordCapabilitiesDisplaysFieldEvent | ResourceRecordCapabilitiesInputDevicesFieldEvent | ResourceRecordCapabilitiesGpusFieldEvent> {
    return streamMessage(buf, ResourceRecord.codec(), opts)
  }
}
