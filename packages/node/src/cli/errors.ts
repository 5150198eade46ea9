/**
 * Turns any error into one line for a person. Errors this project throws on purpose already read well; the
 * system's own (a port in use, a read-only disk) are translated; anything else is an internal error, whose
 * stack is shown only with DREAMMESH_DEBUG=1.
 */
export function describeError (err: unknown, env: NodeJS.ProcessEnv): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as NodeJS.ErrnoException).code
  const known = KNOWN_NAMES.has(err.name)
  if (known) return err.message
  if (code === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(err.message)) {
    return `the listen address is already in use (${addressIn(err.message)}): another program holds the port; pick another with --listen /ip4/0.0.0.0/tcp/PORT`
  }
  if (code === 'EADDRNOTAVAIL' || /EADDRNOTAVAIL/.test(err.message)) {
    return `cannot listen there (${addressIn(err.message)}): no network interface has that address; see \`ip addr\``
  }
  if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') return `permission denied: ${err.message}`
  if (env.DREAMMESH_DEBUG === '1') return err.stack ?? err.message
  return `internal error: ${err.message} (run with DREAMMESH_DEBUG=1 for the stack, and please report it)`
}

/** The error classes whose messages are written for people (see each class). */
const KNOWN_NAMES = new Set([
  'DataDirError', 'DataDirLockedError', 'ClusterCodeError', 'SecretFileError', 'NodeConfigError',
  'NameTakenError', 'ApiClientError', 'ApiError', 'ApiServerError', 'NoInterfaceError', 'UsageError'
])

function addressIn (message: string): string {
  return /(\d+\.\d+\.\d+\.\d+:\d+|\[[^\]]+\]:\d+|\/ip[46]\/\S+)/.exec(message)?.[1] ?? 'see --listen'
}
