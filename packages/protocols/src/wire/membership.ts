import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum Role {
  ROLE_UNSPECIFIED = 'ROLE_UNSPECIFIED',
  SERVER = 'SERVER',
  CLIENT = 'CLIENT'
}

enum __RoleValues {
  ROLE_UNSPECIFIED = 0,
  SERVER = 1,
  CLIENT = 2
}

export namespace Role {
  export const codec = (): Codec<Role> => {
    return enumeration<Role>(__RoleValues)
  }
}

export interface Meta {
  name: string
  role: Role
  addrs: string[]
  tags: string[]
  state: Uint8Array
}

export namespace Meta {
  let _codec: Codec<Meta>

  export const codec = (): Codec<Meta> => {
    if (_codec == null) {
      _codec = message<Meta>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if (obj.role != null && __RoleValues[obj.role] !== 0) {
          w.uint32(16)
          Role.codec().encode(obj.role, w)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(26)
            w.string(value)
          }
        }

        if (obj.tags != null && obj.tags.length > 0) {
          for (const value of obj.tags) {
            w.uint32(34)
            w.string(value)
          }
        }

        if ((obj.state != null && obj.state.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.state)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          role: Role.ROLE_UNSPECIFIED,
          addrs: [],
          tags: [],
          state: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.role = Role.codec().decode(reader)
              break
            }
            case 3: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              if (obj.addrs.length === 16) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.string())
              break
            }
            case 4: {
              if (opts.limits?.tags != null && obj.tags.length === opts.limits.tags) {
                throw new MaxLengthError('Decode error - repeated field "tags" had too many elements')
              }

              if (obj.tags.length === 32) {
                throw new MaxLengthError('Decode error - repeated field "tags" had too many elements')
              }

              obj.tags.push(reader.string())
              break
            }
            case 5: {
              obj.state = reader.bytes()
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
          addrs: 16,
          tags: 32
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.role`,
                value: Role.codec().decode(reader)
              }
              break
            }
            case 3: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              if (obj.addrs === 16) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.string()
              }

              obj.addrs++

              break
            }
            case 4: {
              if (opts.limits?.tags != null && obj.tags === opts.limits.tags) {
                throw new MaxLengthError('Streaming decode error - repeated field "tags" had too many elements')
              }

              if (obj.tags === 32) {
                throw new MaxLengthError('Streaming decode error - repeated field "tags" had too many elements')
              }

              yield {
                field: `${prefix}.tags[]`,
                index: obj.tags,
                value: reader.string()
              }

              obj.tags++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.state`,
                value: reader.bytes()
              }
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

  export interface MetaNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface MetaRoleFieldEvent {
    field: '$.role'
    value: Role
  }

  export interface MetaAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: string
  }

  export interface MetaTagsFieldEvent {
    field: '$.tags[]'
    index: number
    value: string
  }

  export interface MetaStateFieldEvent {
    field: '$.state'
    value: Uint8Array
  }

  export function encode (obj: Partial<Meta>): Uint8Array {
    return encodeMessage(obj, Meta.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Meta>): Meta {
    return decodeMessage(buf, Meta.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Meta>): Generator<MetaNameFieldEvent | MetaRoleFieldEvent | MetaAddrsFieldEvent | MetaTagsFieldEvent | MetaStateFieldEvent> {
    return streamMessage(buf, Meta.codec(), opts)
  }
}

export enum UpdateKind {
  UPDATE_UNSPECIFIED = 'UPDATE_UNSPECIFIED',
  ALIVE = 'ALIVE',
  SUSPECT = 'SUSPECT',
  DEAD = 'DEAD',
  LEFT = 'LEFT'
}

enum __UpdateKindValues {
  UPDATE_UNSPECIFIED = 0,
  ALIVE = 1,
  SUSPECT = 2,
  DEAD = 3,
  LEFT = 4
}

export namespace UpdateKind {
  export const codec = (): Codec<UpdateKind> => {
    return enumeration<UpdateKind>(__UpdateKindValues)
  }
}

export interface Update {
  kind: UpdateKind
  node: string
  incarnation: number
  from: string
  metaVersion: number
  meta?: Meta
}

export namespace Update {
  let _codec: Codec<Update>

  export const codec = (): Codec<Update> => {
    if (_codec == null) {
      _codec = message<Update>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __UpdateKindValues[obj.kind] !== 0) {
          w.uint32(8)
          UpdateKind.codec().encode(obj.kind, w)
        }

        if ((obj.node != null && obj.node !== '')) {
          w.uint32(18)
          w.string(obj.node)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0)) {
          w.uint32(24)
          w.uint32(obj.incarnation)
        }

        if ((obj.from != null && obj.from !== '')) {
          w.uint32(34)
          w.string(obj.from)
        }

        if ((obj.metaVersion != null && obj.metaVersion !== 0)) {
          w.uint32(40)
          w.uint32(obj.metaVersion)
        }

        if (obj.meta != null) {
          w.uint32(50)
          Meta.codec().encode(obj.meta, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: UpdateKind.UPDATE_UNSPECIFIED,
          node: '',
          incarnation: 0,
          from: '',
          metaVersion: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = UpdateKind.codec().decode(reader)
              break
            }
            case 2: {
              obj.node = reader.string()
              break
            }
            case 3: {
              obj.incarnation = reader.uint32()
              break
            }
            case 4: {
              obj.from = reader.string()
              break
            }
            case 5: {
              obj.metaVersion = reader.uint32()
              break
            }
            case 6: {
              obj.meta = Meta.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.meta
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
                field: `${prefix}.kind`,
                value: UpdateKind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.node`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.from`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.metaVersion`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield * Meta.codec().stream(reader, reader.uint32(), `${prefix}.meta`, {
                limits: opts.limits?.meta
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

  export interface UpdateKindFieldEvent {
    field: '$.kind'
    value: UpdateKind
  }

  export interface UpdateNodeFieldEvent {
    field: '$.node'
    value: string
  }

  export interface UpdateIncarnationFieldEvent {
    field: '$.incarnation'
    value: number
  }

  export interface UpdateFromFieldEvent {
    field: '$.from'
    value: string
  }

  export interface UpdateMetaVersionFieldEvent {
    field: '$.metaVersion'
    value: number
  }

  export interface UpdateMetaNameFieldEvent {
    field: '$.meta.name'
    value: string
  }

  export interface UpdateMetaRoleFieldEvent {
    field: '$.meta.role'
    value: Role
  }

  export interface UpdateMetaAddrsFieldEvent {
    field: '$.meta.addrs[]'
    index: number
    value: string
  }

  export interface UpdateMetaTagsFieldEvent {
    field: '$.meta.tags[]'
    index: number
    value: string
  }

  export interface UpdateMetaStateFieldEvent {
    field: '$.meta.state'
    value: Uint8Array
  }

  export function encode (obj: Partial<Update>): Uint8Array {
    return encodeMessage(obj, Update.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Update>): Update {
    return decodeMessage(buf, Update.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Update>): Generator<UpdateKindFieldEvent | UpdateNodeFieldEvent | UpdateIncarnationFieldEvent | UpdateFromFieldEvent | UpdateMetaVersionFieldEvent | UpdateMetaNameFieldEvent | UpdateMetaRoleFieldEvent | UpdateMetaAddrsFieldEvent | UpdateMetaTagsFieldEvent | UpdateMetaStateFieldEvent> {
    return streamMessage(buf, Update.codec(), opts)
  }
}

export enum PacketKind {
  PACKET_UNSPECIFIED = 'PACKET_UNSPECIFIED',
  PING = 'PING',
  ACK = 'ACK',
  NACK = 'NACK',
  PING_REQ = 'PING_REQ',
  GOSSIP = 'GOSSIP'
}

enum __PacketKindValues {
  PACKET_UNSPECIFIED = 0,
  PING = 1,
  ACK = 2,
  NACK = 3,
  PING_REQ = 4,
  GOSSIP = 5
}

export namespace PacketKind {
  export const codec = (): Codec<PacketKind> => {
    return enumeration<PacketKind>(__PacketKindValues)
  }
}

export interface Packet {
  version: number
  kind: PacketKind
  seq: number
  target: string
  updates: Update[]
  targetHash: number
}

export namespace Packet {
  let _codec: Codec<Packet>

  export const codec = (): Codec<Packet> => {
    if (_codec == null) {
      _codec = message<Packet>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if (obj.kind != null && __PacketKindValues[obj.kind] !== 0) {
          w.uint32(16)
          PacketKind.codec().encode(obj.kind, w)
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(24)
          w.uint32(obj.seq)
        }

        if ((obj.target != null && obj.target !== '')) {
          w.uint32(34)
          w.string(obj.target)
        }

        if (obj.updates != null && obj.updates.length > 0) {
          for (const value of obj.updates) {
            w.uint32(42)
            Update.codec().encode(value, w)
          }
        }

        if ((obj.targetHash != null && obj.targetHash !== 0)) {
          w.uint32(53)
          w.fixed32(obj.targetHash)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          kind: PacketKind.PACKET_UNSPECIFIED,
          seq: 0,
          target: '',
          updates: [],
          targetHash: 0
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
              obj.kind = PacketKind.codec().decode(reader)
              break
            }
            case 3: {
              obj.seq = reader.uint32()
              break
            }
            case 4: {
              obj.target = reader.string()
              break
            }
            case 5: {
              if (opts.limits?.updates != null && obj.updates.length === opts.limits.updates) {
                throw new MaxLengthError('Decode error - repeated field "updates" had too many elements')
              }

              if (obj.updates.length === 64) {
                throw new MaxLengthError('Decode error - repeated field "updates" had too many elements')
              }

              obj.updates.push(Update.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.updates$
              }))
              break
            }
            case 6: {
              obj.targetHash = reader.fixed32()
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
          updates: 64
        }

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
                field: `${prefix}.kind`,
                value: PacketKind.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.target`,
                value: reader.string()
              }
              break
            }
            case 5: {
              if (opts.limits?.updates != null && obj.updates === opts.limits.updates) {
                throw new MaxLengthError('Streaming decode error - repeated field "updates" had too many elements')
              }

              if (obj.updates === 64) {
                throw new MaxLengthError('Streaming decode error - repeated field "updates" had too many elements')
              }

              for (const evt of Update.codec().stream(reader, reader.uint32(), `${prefix}.updates[]`, {
                limits: opts.limits?.updates$
              })) {
                yield {
                  ...evt,
                  index: obj.updates
                }
              }

              obj.updates++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.targetHash`,
                value: reader.fixed32()
              }
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

  export interface PacketVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface PacketKindFieldEvent {
    field: '$.kind'
    value: PacketKind
  }

  export interface PacketSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface PacketTargetFieldEvent {
    field: '$.target'
    value: string
  }

  export interface PacketUpdatesKindFieldEvent {
    field: '$.updates[].kind'
    value: UpdateKind
    index: number
  }

  export interface PacketUpdatesNodeFieldEvent {
    field: '$.updates[].node'
    value: string
    index: number
  }

  export interface PacketUpdatesIncarnationFieldEvent {
    field: '$.updates[].incarnation'
    value: number
    index: number
  }

  export interface PacketUpdatesFromFieldEvent {
    field: '$.updates[].from'
    value: string
    index: number
  }

  export interface PacketUpdatesMetaVersionFieldEvent {
    field: '$.updates[].metaVersion'
    value: number
    index: number
  }

  export interface PacketUpdatesMetaNameFieldEvent {
    field: '$.updates[].meta.name'
    value: string
    index: number
  }

  export interface PacketUpdatesMetaRoleFieldEvent {
    field: '$.updates[].meta.role'
    value: Role
    index: number
  }

  export interface PacketUpdatesMetaAddrsFieldEvent {
    field: '$.updates[].meta.addrs[]'
    index: number
    value: string
  }

  export interface PacketUpdatesMetaTagsFieldEvent {
    field: '$.updates[].meta.tags[]'
    index: number
    value: string
  }

  export interface PacketUpdatesMetaStateFieldEvent {
    field: '$.updates[].meta.state'
    value: Uint8Array
    index: number
  }

  export interface PacketTargetHashFieldEvent {
    field: '$.targetHash'
    value: number
  }

  export function encode (obj: Partial<Packet>): Uint8Array {
    return encodeMessage(obj, Packet.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Packet>): Packet {
    return decodeMessage(buf, Packet.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Packet>): Generator<PacketVersionFieldEvent | PacketKindFieldEvent | PacketSeqFieldEvent | PacketTargetFieldEvent | PacketUpdatesKindFieldEvent | PacketUpdatesNodeFieldEvent | PacketUpdatesIncarnationFieldEvent | PacketUpdatesFromFieldEvent | PacketUpdatesMetaVersionFieldEvent | PacketUpdatesMetaNameFieldEvent | PacketUpdatesMetaRoleFieldEvent | PacketUpdatesMetaAddrsFieldEvent | PacketUpdatesMetaTagsFieldEvent | PacketUpdatesMetaStateFieldEvent | PacketTargetHashFieldEvent> {
    return streamMessage(buf, Packet.codec(), opts)
  }
}

export enum SyncKind {
  SYNC_UNSPECIFIED = 'SYNC_UNSPECIFIED',
  DIGEST = 'DIGEST',
  STATE = 'STATE',
  SUMMARY = 'SUMMARY'
}

enum __SyncKindValues {
  SYNC_UNSPECIFIED = 0,
  DIGEST = 1,
  STATE = 2,
  SUMMARY = 3
}

export namespace SyncKind {
  export const codec = (): Codec<SyncKind> => {
    return enumeration<SyncKind>(__SyncKindValues)
  }
}

export interface Sync {
  version: number
  kind: SyncKind
  session: number
  reply: boolean
  buckets: number[]
  members: Update[]
  last: boolean
  summary: number[]
  want: number[]
}

export namespace Sync {
  let _codec: Codec<Sync>

  export const codec = (): Codec<Sync> => {
    if (_codec == null) {
      _codec = message<Sync>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if (obj.kind != null && __SyncKindValues[obj.kind] !== 0) {
          w.uint32(16)
          SyncKind.codec().encode(obj.kind, w)
        }

        if ((obj.session != null && obj.session !== 0)) {
          w.uint32(24)
          w.uint32(obj.session)
        }

        if ((obj.reply != null && obj.reply !== false)) {
          w.uint32(32)
          w.bool(obj.reply)
        }

        if (obj.buckets != null && obj.buckets.length > 0) {
          for (const value of obj.buckets) {
            w.uint32(40)
            w.uint32(value)
          }
        }

        if (obj.members != null && obj.members.length > 0) {
          for (const value of obj.members) {
            w.uint32(50)
            Update.codec().encode(value, w)
          }
        }

        if ((obj.last != null && obj.last !== false)) {
          w.uint32(56)
          w.bool(obj.last)
        }

        if (obj.summary != null && obj.summary.length > 0) {
          for (const value of obj.summary) {
            w.uint32(69)
            w.fixed32(value)
          }
        }

        if (obj.want != null && obj.want.length > 0) {
          for (const value of obj.want) {
            w.uint32(77)
            w.fixed32(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          kind: SyncKind.SYNC_UNSPECIFIED,
          session: 0,
          reply: false,
          buckets: [],
          members: [],
          last: false,
          summary: [],
          want: []
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
              obj.kind = SyncKind.codec().decode(reader)
              break
            }
            case 3: {
              obj.session = reader.uint32()
              break
            }
            case 4: {
              obj.reply = reader.bool()
              break
            }
            case 5: {
              if (opts.limits?.buckets != null && obj.buckets.length === opts.limits.buckets) {
                throw new MaxLengthError('Decode error - repeated field "buckets" had too many elements')
              }

              if (obj.buckets.length === 256) {
                throw new MaxLengthError('Decode error - repeated field "buckets" had too many elements')
              }

              obj.buckets.push(reader.uint32())
              break
            }
            case 6: {
              if (opts.limits?.members != null && obj.members.length === opts.limits.members) {
                throw new MaxLengthError('Decode error - repeated field "members" had too many elements')
              }

              if (obj.members.length === 1024) {
                throw new MaxLengthError('Decode error - repeated field "members" had too many elements')
              }

              obj.members.push(Update.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.members$
              }))
              break
            }
            case 7: {
              obj.last = reader.bool()
              break
            }
            case 8: {
              if (opts.limits?.summary != null && obj.summary.length === opts.limits.summary) {
                throw new MaxLengthError('Decode error - repeated field "summary" had too many elements')
              }

              if (obj.summary.length === 8192) {
                throw new MaxLengthError('Decode error - repeated field "summary" had too many elements')
              }

              obj.summary.push(reader.fixed32())
              break
            }
            case 9: {
              if (opts.limits?.want != null && obj.want.length === opts.limits.want) {
                throw new MaxLengthError('Decode error - repeated field "want" had too many elements')
              }

              if (obj.want.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "want" had too many elements')
              }

              obj.want.push(reader.fixed32())
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
          buckets: 256,
          members: 1024,
          summary: 8192,
          want: 4096
        }

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
                field: `${prefix}.kind`,
                value: SyncKind.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.session`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.reply`,
                value: reader.bool()
              }
              break
            }
            case 5: {
              if (opts.limits?.buckets != null && obj.buckets === opts.limits.buckets) {
                throw new MaxLengthError('Streaming decode error - repeated field "buckets" had too many elements')
              }

              if (obj.buckets === 256) {
                throw new MaxLengthError('Streaming decode error - repeated field "buckets" had too many elements')
              }

              yield {
                field: `${prefix}.buckets[]`,
                index: obj.buckets,
                value: reader.uint32()
              }

              obj.buckets++

              break
            }
            case 6: {
              if (opts.limits?.members != null && obj.members === opts.limits.members) {
                throw new MaxLengthError('Streaming decode error - repeated field "members" had too many elements')
              }

              if (obj.members === 1024) {
                throw new MaxLengthError('Streaming decode error - repeated field "members" had too many elements')
              }

              for (const evt of Update.codec().stream(reader, reader.uint32(), `${prefix}.members[]`, {
                limits: opts.limits?.members$
              })) {
                yield {
                  ...evt,
                  index: obj.members
                }
              }

              obj.members++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.last`,
                value: reader.bool()
              }
              break
            }
            case 8: {
              if (opts.limits?.summary != null && obj.summary === opts.limits.summary) {
                throw new MaxLengthError('Streaming decode error - repeated field "summary" had too many elements')
              }

              if (obj.summary === 8192) {
                throw new MaxLengthError('Streaming decode error - repeated field "summary" had too many elements')
              }

              yield {
                field: `${prefix}.summary[]`,
                index: obj.summary,
                value: reader.fixed32()
              }

              obj.summary++

              break
            }
            case 9: {
              if (opts.limits?.want != null && obj.want === opts.limits.want) {
                throw new MaxLengthError('Streaming decode error - repeated field "want" had too many elements')
              }

              if (obj.want === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "want" had too many elements')
              }

              yield {
                field: `${prefix}.want[]`,
                index: obj.want,
                value: reader.fixed32()
              }

              obj.want++

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

  export interface SyncVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface SyncKindFieldEvent {
    field: '$.kind'
    value: SyncKind
  }

  export interface SyncSessionFieldEvent {
    field: '$.session'
    value: number
  }

  export interface SyncReplyFieldEvent {
    field: '$.reply'
    value: boolean
  }

  export interface SyncBucketsFieldEvent {
    field: '$.buckets[]'
    index: number
    value: number
  }

  export interface SyncMembersKindFieldEvent {
    field: '$.members[].kind'
    value: UpdateKind
    index: number
  }

  export interface SyncMembersNodeFieldEvent {
    field: '$.members[].node'
    value: string
    index: number
  }

  export interface SyncMembersIncarnationFieldEvent {
    field: '$.members[].incarnation'
    value: number
    index: number
  }

  export interface SyncMembersFromFieldEvent {
    field: '$.members[].from'
    value: string
    index: number
  }

  export interface SyncMembersMetaVersionFieldEvent {
    field: '$.members[].metaVersion'
    value: number
    index: number
  }

  export interface SyncMembersMetaNameFieldEvent {
    field: '$.members[].meta.name'
    value: string
    index: number
  }

  export interface SyncMembersMetaRoleFieldEvent {
    field: '$.members[].meta.role'
    value: Role
    index: number
  }

  export interface SyncMembersMetaAddrsFieldEvent {
    field: '$.members[].meta.addrs[]'
    index: number
    value: string
  }

  export interface SyncMembersMetaTagsFieldEvent {
    field: '$.members[].meta.tags[]'
    index: number
    value: string
  }

  export interface SyncMembersMetaStateFieldEvent {
    field: '$.members[].meta.state'
    value: Uint8Array
    index: number
  }

  export interface SyncLastFieldEvent {
    field: '$.last'
    value: boolean
  }

  export interface SyncSummaryFieldEvent {
    field: '$.summary[]'
    index: number
    value: number
  }

  export interface SyncWantFieldEvent {
    field: '$.want[]'
    index: number
    value: number
  }

  export function encode (obj: Partial<Sync>): Uint8Array {
    return encodeMessage(obj, Sync.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Sync>): Sync {
    return decodeMessage(buf, Sync.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Sync>): Generator<SyncVersionFieldEvent | SyncKindFieldEvent | SyncSessionFieldEvent | SyncReplyFieldEvent | SyncBucketsFieldEvent | SyncMembersKindFieldEvent | SyncMembersNodeFieldEvent | SyncMembersIncarnationFieldEvent | SyncMembersFromFieldEvent | SyncMembersMetaVersionFieldEvent | SyncMembersMetaNameFieldEvent | SyncMembersMetaRoleFieldEvent | SyncMembersMetaAddrsFieldEvent | SyncMembersMetaTagsFieldEvent | SyncMembersMetaStateFieldEvent | SyncLastFieldEvent | SyncSummaryFieldEvent | SyncWantFieldEvent> {
    return streamMessage(buf, Sync.codec(), opts)
  }
}
