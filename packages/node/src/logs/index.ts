/**
 * @packageDocumentation
 *
 * Instance logs from any node, over libp2p (`/dreammesh/logs/1.0.0`, docs/protocol/logs.md). The node that
 * runs (or ran) an instance serves its stdout and stderr: the last lines from the size-bounded files on disk,
 * then, when asked, new lines as the instance writes them. Every request, queue and frame is bounded; bad
 * input is refused and counted, and a slow reader makes the server skip lines, never grow.
 *
 * @example
 * ```ts
 * const logs = new LogService({ node: host, dataDir, liveLog: (w, i, s) => supervisor.log(w, i, s), onDrop: count })
 * await logs.start()
 * const found = await openInstanceLogs({ service: logs, instances, selfId, members }, checkRequest({ workload: 'web', index: 0, follow: true }), undefined, signal)
 * for await (const item of found.lines) if ('line' in item) console.log(item.stream, item.line)
 * ```
 */
export { LogService, type LogServiceInit } from './log-service.js'
export { openInstanceLogs, logCandidates, type FoundLogs, type KnownMember, type LogsLocator, type ReportedInstance } from './log-finder.js'
export { openLocalLogs, logPathOf, PendingLines, type LocalReadBounds, type LogReading } from './log-lines.js'
export { checkRequest, instanceName, LogsRefusedError, type LogItem, type LogLine, type LogsRefusal, type LogsRequest } from './request.js'
export { cutLine, lastLines, readTail } from './tail.js'
export { FrameReader } from './frame-reader.js'
export * from './constants.js'
