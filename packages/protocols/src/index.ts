export * from './core/index.js'
export * from './membership/index.js'
export * as wire from './wire/codec.js'
