/** Instance logs from any node, over libp2p (docs/protocol/logs.md). */
export { LogService, checkRequest, type LogItem, type LogServiceInit } from './log-service.js'
export { localLogLines, logPathOf, type LogLine, type LogsRequest } from './log-lines.js'
export * from './constants.js'
