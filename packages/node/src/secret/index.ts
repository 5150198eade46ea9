export * from './cluster-code.js'
export * from './secret-store.js'
export * from './admission.js'
