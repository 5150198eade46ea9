import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum LeaseKind {
  LEASE_UNSPECIFIED = 'LEASE_UNSPECIFIED',
  REQUEST = 'REQUEST',
  RENEW = 'RENEW',
  GRANT = 'GRANT',
  DENY = 'DENY',
  RELEASE = 'RELEASE',
  HANDOFF_ASK = 'HANDOFF_ASK',
  HANDOFF = 'HANDOFF',
  VOTERS_PREPARE = 'VOTERS_PREPARE',
  VOTERS_PROMISE = 'VOTERS_PROMISE',
  VOTERS_ACCEPT = 'VOTERS_ACCEPT',
  VOTERS_ACCEPTED = 'VOTERS_ACCEPTED',
  VOTERS_COMMIT = 'VOTERS_COMMIT',
  VOTERS_NACK = 'VOTERS_NACK'
}

enum __LeaseKindValues {
  LEASE_UNSPECIFIED = 0,
  REQUEST = 1,
  RENEW = 2,
  GRANT = 3,
  DENY = 4,
  RELEASE = 5,
  HANDOFF_ASK = 6,
  HANDOFF = 7,
  VOTERS_PREPARE = 8,
  VOTERS_PROMISE = 9,
  VOTERS_ACCEPT = 10,
  VOTERS_ACCEPTED = 11,
  VOTERS_COMMIT = 12,
  VOTERS_NACK = 13
}

export namespace LeaseKind {
  export const codec = (): Codec<LeaseKind> => {
    return enumeration<LeaseKind>(__LeaseKindValues)
  }
}

export interface LeaseMessage {
  version: number
  kind: LeaseKind
  resource: string
  epoch: number
  round: number
  holder: string
  recordEpoch: number
  reason: string
  budgetMs: number
  votersVersion: number
  ballot: number
  voters: string[]
  acceptedBallot: number
}

export namespace LeaseMessage {
  let _codec: Codec<LeaseMessage>

  export const codec = (): Codec<LeaseMessage> => {
    if (_codec == null) {
      _codec = message<LeaseMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if (obj.kind != null && __LeaseKindValues[obj.kind] !== 0) {
          w.uint32(16)
          LeaseKind.codec().encode(obj.kind, w)
        }

        if ((obj.resource != null && obj.resource !== '')) {
          w.uint32(26)
          w.string(obj.resource)
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.epoch)
        }

        if ((obj.round != null && obj.round !== 0)) {
          w.uint32(40)
          w.uint32(obj.round)
        }

        if ((obj.holder != null && obj.holder !== '')) {
          w.uint32(50)
          w.string(obj.holder)
        }

        if ((obj.recordEpoch != null && obj.recordEpoch !== 0)) {
          w.uint32(56)
          w.uint64Number(obj.recordEpoch)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(66)
          w.string(obj.reason)
        }

        if ((obj.budgetMs != null && obj.budgetMs !== 0)) {
          w.uint32(72)
          w.uint32(obj.budgetMs)
        }

        if ((obj.votersVersion != null && obj.votersVersion !== 0)) {
          w.uint32(80)
          w.uint32(obj.votersVersion)
        }

        if ((obj.ballot != null && obj.ballot !== 0)) {
          w.uint32(88)
          w.uint64Number(obj.ballot)
        }

        if (obj.voters != null && obj.voters.length > 0) {
          for (const value of obj.voters) {
            w.uint32(98)
            w.string(value)
          }
        }

        if ((obj.acceptedBallot != null && obj.acceptedBallot !== 0)) {
          w.uint32(104)
          w.uint64Number(obj.acceptedBallot)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          kind: LeaseKind.LEASE_UNSPECIFIED,
          resource: '',
          epoch: 0,
          round: 0,
          holder: '',
          recordEpoch: 0,
          reason: '',
          budgetMs: 0,
          votersVersion: 0,
          ballot: 0,
          voters: [],
          acceptedBallot: 0
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
              obj.kind = LeaseKind.codec().decode(reader)
              break
            }
            case 3: {
              obj.resource = reader.string()
              break
            }
            case 4: {
              obj.epoch = reader.uint64Number()
              break
            }
            case 5: {
              obj.round = reader.uint32()
              break
            }
            case 6: {
              obj.holder = reader.string()
              break
            }
            case 7: {
              obj.recordEpoch = reader.uint64Number()
              break
            }
            case 8: {
              obj.reason = reader.string()
              break
            }
            case 9: {
              obj.budgetMs = reader.uint32()
              break
            }
            case 10: {
              obj.votersVersion = reader.uint32()
              break
            }
            case 11: {
              obj.ballot = reader.uint64Number()
              break
            }
            case 12: {
              if (opts.limits?.voters != null && obj.voters.length === opts.limits.voters) {
                throw new MaxLengthError('Decode error - repeated field "voters" had too many elements')
              }

              if (obj.voters.length === 15) {
                throw new MaxLengthError('Decode error - repeated field "voters" had too many elements')
              }

              obj.voters.push(reader.string())
              break
            }
            case 13: {
              obj.acceptedBallot = reader.uint64Number()
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
          voters: 15
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
                value: LeaseKind.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.resource`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.round`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.holder`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.recordEpoch`,
                value: reader.uint64Number()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.budgetMs`,
                value: reader.uint32()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.votersVersion`,
                value: reader.uint32()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.ballot`,
                value: reader.uint64Number()
              }
              break
            }
            case 12: {
              if (opts.limits?.voters != null && obj.voters === opts.limits.voters) {
                throw new MaxLengthError('Streaming decode error - repeated field "voters" had too many elements')
              }

              if (obj.voters === 15) {
                throw new MaxLengthError('Streaming decode error - repeated field "voters" had too many elements')
              }

              yield {
                field: `${prefix}.voters[]`,
                index: obj.voters,
                value: reader.string()
              }

              obj.voters++

              break
            }
            case 13: {
              yield {
                field: `${prefix}.acceptedBallot`,
                value: reader.uint64Number()
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

  export interface LeaseMessageVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface LeaseMessageKindFieldEvent {
    field: '$.kind'
    value: LeaseKind
  }

  export interface LeaseMessageResourceFieldEvent {
    field: '$.resource'
    value: string
  }

  export interface LeaseMessageEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export interface LeaseMessageRoundFieldEvent {
    field: '$.round'
    value: number
  }

  export interface LeaseMessageHolderFieldEvent {
    field: '$.holder'
    value: string
  }

  export interface LeaseMessageRecordEpochFieldEvent {
    field: '$.recordEpoch'
    value: number
  }

  export interface LeaseMessageReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export interface LeaseMessageBudgetMsFieldEvent {
    field: '$.budgetMs'
    value: number
  }

  export interface LeaseMessageVotersVersionFieldEvent {
    field: '$.votersVersion'
    value: number
  }

  export interface LeaseMessageBallotFieldEvent {
    field: '$.ballot'
    value: number
  }

  export interface LeaseMessageVotersFieldEvent {
    field: '$.voters[]'
    index: number
    value: string
  }

  export interface LeaseMessageAcceptedBallotFieldEvent {
    field: '$.acceptedBallot'
    value: number
  }

  export function encode (obj: Partial<LeaseMessage>): Uint8Array {
    return encodeMessage(obj, LeaseMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LeaseMessage>): LeaseMessage {
    return decodeMessage(buf, LeaseMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LeaseMessage>): Generator<LeaseMessageVersionFieldEvent | LeaseMessageKindFieldEvent | LeaseMessageResourceFieldEvent | LeaseMessageEpochFieldEvent | LeaseMessageRoundFieldEvent | LeaseMessageHolderFieldEvent | LeaseMessageRecordEpochFieldEvent | LeaseMessageReasonFieldEvent | LeaseMessageBudgetMsFieldEvent | LeaseMessageVotersVersionFieldEvent | LeaseMessageBallotFieldEvent | LeaseMessageVotersFieldEvent | LeaseMessageAcceptedBallotFieldEvent> {
    return streamMessage(buf, LeaseMessage.codec(), opts)
  }
}
