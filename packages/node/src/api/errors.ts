/**
 * The API's errors. Each message is written for a person; the CLI prints it as it is (see cli/errors.ts,
 * which lists these names).
 */

/** The server could not start: a socket another node serves, a bad path, a TCP address without a token. */
export class ApiServerError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ApiServerError'
  }
}

/** The client could not get an answer: no node running, a timeout, a malformed answer, a broken stream. */
export class ApiClientError extends Error {
  /** Stable for programs: `not-running`, `permission`, `unreachable`, `timeout`, `malformed`, `overflow`. */
  readonly code: string
  constructor (code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ApiClientError'
    this.code = code
  }
}

/** The node answered with an HTTP error; `message` is the server's own. */
export class ApiError extends Error {
  readonly status: number
  /** The server's stable error code (`unknown-member`, `ambiguous-name`, ...). */
  readonly code: string
  /** The whole error body, for fields such as `candidates`. */
  readonly body: unknown
  constructor (status: number, code: string, message: string, body: unknown) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.body = body
  }
}
