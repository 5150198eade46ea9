import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { ApiErrorBody } from './types.js'

/** An answer that is an error: a status, a stable code and a message for a person. */
export interface Failure {
  status: number
  body: ApiErrorBody
  headers?: OutgoingHttpHeaders
}

export function failure (status: number, code: string, error: string, headers?: OutgoingHttpHeaders): Failure {
  return { status, body: { error, code }, ...(headers === undefined ? {} : { headers }) }
}

/** Writes a whole JSON answer; `then` runs once it has been handed to the socket. */
export function sendJson (res: ServerResponse, status: number, value: unknown, headers: OutgoingHttpHeaders = {}, then?: () => void): void {
  sendText(res, status, 'application/json; charset=utf-8', JSON.stringify(value) + '\n', headers, then)
}

export function sendText (res: ServerResponse, status: number, contentType: string, text: string, headers: OutgoingHttpHeaders = {}, then?: () => void): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers
  })
  res.end(text, then)
}

/**
 * Reads a request body, up to `maxBytes`. A declared length over the bound is refused without reading; an
 * undeclared (chunked) one is counted as it arrives.
 */
export function readBody (req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > maxBytes) return Promise.resolve('too-large')
  return new Promise(resolve => {
    const chunks: Buffer[] = []
    let bytes = 0
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length
      if (bytes <= maxBytes) {
        chunks.push(chunk)
        return
      }
      req.off('data', onData)
      req.pause()
      resolve('too-large')
    }
    req.on('data', onData)
    req.once('end', () => { resolve(Buffer.concat(chunks)) })
    req.once('error', () => { resolve(Buffer.concat(chunks)) })
  })
}
