export * from './config.js'
export * from './math.js'
export * from './types.js'
export { Membership, type MembershipInit } from './membership.js'
