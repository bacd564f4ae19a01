/**
 * anyts: AnyIO for TypeScript. Trio-style structured concurrency (task groups, cancel
 * scopes, level-triggered cancellation, shielding, timeouts) that works the same on Node,
 * Deno and Bun.
 *
 * @example
 * ```ts
 * import { moveOnAfter, run, sleep, taskGroup } from "@anyts/anyts";
 *
 * await run(async () => {
 *   await taskGroup(async (tg) => {
 *     tg.startSoon(async () => {
 *       await moveOnAfter(100, () => sleep(10_000)); // gives up after 100 ms
 *     });
 *     tg.startSoon(sleep, 50);
 *   });
 * });
 * ```
 *
 * @module
 */
export {
  type Backend,
  type BackendName,
  detectRuntime,
  getAvailableBackends,
  loadBackend,
  type ProcessBackend,
  type RawListener,
  type RawPipeReader,
  type RawPipeWriter,
  type RawProcess,
  type RawSocket,
  type RawSocketSink,
  type RawStdio,
  type RawUdpSocket,
  type RuntimeName,
  type SignalsBackend,
  type SocketInfo,
  type SpawnOptions,
  type TimerHandle,
} from "./src/backend/index.ts";
export type {
  RawSyncPort,
  RawWorker,
  RawWorkerExit,
  RawWorkerKind,
  StartWorkerOptions,
  WorkerBackend,
  WorkerResourceLimits,
  WorkerTransferable,
} from "./src/backend/worker.ts";
export { currentBackend, run, type RunOptions } from "./src/core/run.ts";
export type { Clock } from "./src/core/clock.ts";
export { formatTaskTree, getRunningTasks } from "./src/core/introspection.ts";
export {
  CancelScope,
  type CancelScopeOptions,
  currentEffectiveDeadline,
  getCurrentTask,
} from "./src/core/cancel-scope.ts";
export {
  cancelShieldedCheckpoint,
  checkpoint,
  checkpointIfCancelled,
  currentTime,
  sleep,
  sleepForever,
  sleepUntil,
} from "./src/core/time.ts";
export { failAfter, failAt, type FailOptions, moveOnAfter, moveOnAt, type MoveOnOptions } from "./src/core/timeouts.ts";
export { taskGroup, type TaskGroup, type TaskOptions, type TaskStatus } from "./src/core/task-group.ts";
export type { TaskHandle, TaskState } from "./src/core/task.ts";
export { amap, type AmapOptions, gather, type GatherResults, race } from "./src/core/combinators.ts";
export { type Disarm, waitCancellable } from "./src/core/wait.ts";
export type { TaskInfo } from "./src/core/context.ts";
export {
  BrokenResourceError,
  BrokenWorkerError,
  BusyResourceError,
  Cancelled,
  ClosedResourceError,
  ConnectionFailed,
  DelimiterNotFound,
  EndOfStream,
  type ErrorCondition,
  IncompleteRead,
  TaskCancelledError,
  TaskGroupError,
  TimeoutError,
  TypedAttributeLookupError,
  WouldBlock,
} from "./src/core/errors.ts";
export { CapacityLimiter, type CapacityLimiterStatistics } from "./src/sync/capacity-limiter.ts";
export { Condition, type ConditionStatistics } from "./src/sync/condition.ts";
export { Event, type EventStatistics } from "./src/sync/event.ts";
export { Lock, type LockOptions, type LockStatistics } from "./src/sync/lock.ts";
export { ResourceGuard, type ResourceGuardStatistics } from "./src/sync/resource-guard.ts";
export { Semaphore, type SemaphoreOptions, type SemaphoreStatistics } from "./src/sync/semaphore.ts";
export {
  attributeMap,
  type AttributeEntry,
  type TypedAttribute,
  typedAttribute,
  type TypedAttributeMap,
  TypedAttributeProvider,
} from "./src/streams/typed-attribute.ts";
export {
  SocketAttribute,
  type SocketAttributeSet,
  type SocketFamily,
  TLSAttribute,
  type TLSAttributeSet,
  type TLSCipher,
} from "./src/streams/attributes.ts";
export {
  type AnyByteReceiveStream,
  type AnyByteSendStream,
  type AnyByteStream,
  type AsyncResource,
  type ByteReceiveStream,
  ByteReceiveStreamBase,
  type ByteSendStream,
  ByteSendStreamBase,
  type ByteStream,
  ByteStreamBase,
  type Listener,
  ListenerBase,
  type ObjectReceiveStream,
  ObjectReceiveStreamBase,
  type ObjectSendStream,
  ObjectSendStreamBase,
  type ObjectStream,
  ObjectStreamBase,
  type ServeOptions,
} from "./src/streams/types.ts";
export {
  createMemoryObjectStream,
  MemoryObjectReceiveStream,
  MemoryObjectSendStream,
  type MemoryObjectStreamStatistics,
} from "./src/streams/memory.ts";
export { StapledByteStream, StapledObjectStream } from "./src/streams/stapled.ts";
export { BufferedByteReceiveStream, BufferedByteStream } from "./src/streams/buffered.ts";
export {
  TextReceiveStream,
  TextSendStream,
  type TextSendStreamOptions,
  TextStream,
  type TextStreamOptions,
} from "./src/streams/text.ts";
export { TLSStream } from "./src/streams/tls.ts";
export type { TLSOptions } from "./src/streams/tls-options.ts";
export { TLSListener, type TLSListenerOptions } from "./src/streams/tls-listener.ts";
export type { RawTlsSocket, TlsEngineOptions, TlsSessionInfo, TlsTransport } from "./src/backend/index.ts";
export {
  fromReadableStream,
  type FromReadableStreamOptions,
  fromWritableStream,
  toReadableStream,
  type ToReadableStreamOptions,
  toWritableStream,
  type ToWritableStreamOptions,
} from "./src/streams/web.ts";
export { type AddressInfo, getaddrinfo, type GetaddrinfoOptions } from "./src/net/getaddrinfo.ts";
export { SocketStream } from "./src/net/socket-stream.ts";
export { SocketListener } from "./src/net/socket-listener.ts";
export { MultiListener } from "./src/net/multi-listener.ts";
export {
  connectTcp,
  type ConnectTcpOptions,
  createTcpListener,
  type CreateTcpListenerOptions,
} from "./src/net/tcp.ts";
export { connectUnix, createUnixListener, type CreateUnixListenerOptions } from "./src/net/unix.ts";
export {
  ConnectedUDPSocket,
  createConnectedUdpSocket,
  createUdpSocket,
  type CreateUdpSocketOptions,
  type UDPPacket,
  UDPSocket,
} from "./src/net/udp.ts";
export { CalledProcessError } from "./src/process/errors.ts";
export { openProcess, type ProcessOptions, type ProcessStdio } from "./src/process/open-process.ts";
export { Process } from "./src/process/process.ts";
export { ProcessReceiveStream, ProcessSendStream } from "./src/process/pipe-streams.ts";
export { type CompletedProcess, runProcess, type RunProcessOptions } from "./src/process/run-process.ts";
export type { SignalName } from "./src/signals/names.ts";
export { openSignalReceiver, SignalReceiver } from "./src/signals/receiver.ts";
export { toWorker, type ToWorker } from "./src/workers/to-worker.ts";
export { toProcess, type ToProcess } from "./src/workers/to-process.ts";
export type { WorkerRunOptions } from "./src/workers/call.ts";
export { fromWorker, type FromWorker } from "./src/workers/from-worker.ts";
export { BlockingPortal, type BlockingPortalOptions, startBlockingPortal } from "./src/workers/portal.ts";
export { AsyncFile, type WriteData } from "./src/fs/async-file.ts";
export { openFile, type OpenFileOptions } from "./src/fs/open-file.ts";
export type { OpenBinaryMode, OpenMode, OpenTextMode } from "./src/fs/open-mode.ts";
export { type PathLike, PurePath } from "./src/fs/pure-path.ts";
export { type CopyOptions, Path, type WalkOptions } from "./src/fs/path.ts";
export {
  FileReadStream,
  FileStreamAttribute,
  type FileStreamAttributeSet,
  FileWriteStream,
} from "./src/fs/file-streams.ts";
export type { FileInfo, FsBackend, RawDir, RawDirEntry, RawFile, RawOpenOptions } from "./src/backend/index.ts";
