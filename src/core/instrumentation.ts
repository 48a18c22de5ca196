import { channel } from "node:diagnostics_channel";
import type { Connection } from "./connection.js";
import { ActionwireError, type ErrorCode } from "./errors.js";

/*
 * What the core tells the outside about its work: named `node:diagnostics_channel` channels
 * (docs/operating.md lists them), and the hook a tracer fills to run actions inside spans. Every
 * helper returns at once while nobody listens, so a server with no metrics, no tracing and no
 * APM pays one property read per event. The metrics (src/server/metrics.ts) and the tracing
 * (src/server/tracing.ts) are subscribers like any APM's.
 */

/** The channel names, stable (added to, never renamed). */
export const CHANNELS = {
  /** A transport accepted a connection: {@link ConnectionEvent}. */
  connectionOpen: "actionwire:connection:open",
  /** A connection is gone (its transport let it go): {@link ConnectionEvent}. */
  connectionClose: "actionwire:connection:close",
  /** A frame arrived from a client: {@link MessageEvent} (`count` 1). */
  messageReceived: "actionwire:message:received",
  /** Messages written to clients by one send: {@link MessageEvent}. */
  messageSent: "actionwire:message:sent",
  /** An action (a known one) starts: {@link ActionEvent}. */
  actionStart: "actionwire:action:start",
  /** The same {@link ActionEvent} object, now with its outcome, code and duration. */
  actionEnd: "actionwire:action:end",
  /** This node published a room message (chat or notice): {@link RoomMessageEvent}. */
  roomMessage: "actionwire:room:message",
  /** A request was answered with an error: {@link ErrorEvent}. */
  error: "actionwire:error",
  /** A push met a full outbound backlog: {@link SlowConsumerEvent}. */
  slowConsumer: "actionwire:slow-consumer",
  /** A client resumed its session on a new socket: {@link ResumeEvent}. */
  resume: "actionwire:resume",
  /** A message crossed the cluster bus: {@link ClusterMessageEvent}. */
  clusterMessage: "actionwire:cluster:message",
} as const;

/** Every event names the node it happened on (`config.nodeId`). */
export interface NodeEvent {
  readonly nodeId: string;
}

/** `actionwire:connection:open` and `actionwire:connection:close`. */
export interface ConnectionEvent extends NodeEvent {
  readonly connectionId: string;
  readonly transport: string;
  readonly remoteIP: string;
}

/** `actionwire:message:received` and `actionwire:message:sent`. */
export interface MessageEvent extends NodeEvent {
  readonly transport: string;
  /** How many messages (one frame received; one per recipient sent). */
  readonly count: number;
}

/**
 * `actionwire:action:start`, then the same object on `actionwire:action:end` with `outcome`,
 * `code` and `durationMs` filled in (so a subscriber can keep state on it, as on a
 * `TracingChannel` context).
 */
export interface ActionEvent extends NodeEvent {
  readonly action: string;
  readonly connectionId: string;
  readonly transport: string;
  /** The W3C trace context the client sent with the request, if any. */
  readonly traceparent: string | undefined;
  outcome?: "ok" | "error";
  /** The error code of a failed action. */
  code?: ErrorCode;
  /** From start to end, in milliseconds. */
  durationMs?: number;
}

/** `actionwire:room:message`. */
export interface RoomMessageEvent extends NodeEvent {
  readonly room: string;
  /** The connection that sent it (or moved, for a notice). */
  readonly from: string;
}

/** `actionwire:error`: a request answered with an error code. */
export interface ErrorEvent extends NodeEvent {
  readonly code: ErrorCode;
  readonly transport: string;
  readonly connectionId: string;
}

/** `actionwire:slow-consumer`: a push dropped, and the connection closed under `disconnect`. */
export interface SlowConsumerEvent extends NodeEvent {
  readonly connectionId: string;
  readonly transport: string;
  readonly policy: "disconnect" | "drop";
}

/** `actionwire:resume`: a session taken over by a new socket. */
export interface ResumeEvent extends NodeEvent {
  readonly connectionId: string;
  readonly transport: string;
  /** Whether everything missed meanwhile was delivered (`false`: the client was told it was not). */
  readonly recovered: boolean;
}

/** `actionwire:cluster:message`. */
export interface ClusterMessageEvent extends NodeEvent {
  readonly direction: "in" | "out";
  readonly kind: "room" | "command";
}

/** A W3C trace context as it travels: `traceparent` and, if any, `tracestate`. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** What a span is asked for. */
export interface SpanRequest {
  /** The span's name (`action <name>`, `say`, `room message`, `command alert`). */
  readonly name: string;
  /** `server` for a client's request, `consumer` for work sent by another node. */
  readonly kind: "server" | "consumer";
  /** The parent context; none: the active one. */
  readonly parent: TraceCarrier | undefined;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * What a tracer plugs into the core (src/server/tracing.ts does it with @opentelemetry/api):
 * running work inside a span, and the active context as a carrier for the cluster bus.
 */
export interface SpanHooks {
  /** Runs `work` inside a new span, ended (with the error code, if any) when it settles. */
  inSpan<T>(request: SpanRequest, work: () => T): T;
  /** The active trace context, to send along; `undefined` outside any span. */
  carrier(): TraceCarrier | undefined;
}

const connectionOpen = channel(CHANNELS.connectionOpen);
const connectionClose = channel(CHANNELS.connectionClose);
const messageReceived = channel(CHANNELS.messageReceived);
const messageSent = channel(CHANNELS.messageSent);
const actionStart = channel(CHANNELS.actionStart);
const actionEnd = channel(CHANNELS.actionEnd);
const roomMessage = channel(CHANNELS.roomMessage);
const errors = channel(CHANNELS.error);
const slowConsumer = channel(CHANNELS.slowConsumer);
const resume = channel(CHANNELS.resume);
const clusterMessage = channel(CHANNELS.clusterMessage);

/** Tracers by node id (tracing is a server's option; several servers may share a process). */
const spanHooks = new Map<string, SpanHooks>();

/**
 * The span requests of a node's client requests without a `traceparent`, made once per action
 * (or verb) and transport, never per request: node → action name (`actions`) or verb
 * (`verbs`) → transport. Bounded: only the server's own action names, its verbs and its
 * transports come here. Dropped with the node's hooks.
 */
const requestSpans = new Map<
  string,
  Record<"actions" | "verbs", Map<string, Map<string, SpanRequest>>>
>();

/** Plugs a tracer in for the node `nodeId`; returns the function that takes it out. */
export function registerSpanHooks(nodeId: string, hooks: SpanHooks): () => void {
  spanHooks.set(nodeId, hooks);
  requestSpans.delete(nodeId);
  return () => {
    if (spanHooks.get(nodeId) !== hooks) return;
    spanHooks.delete(nodeId);
    requestSpans.delete(nodeId);
  };
}

/**
 * The span request for a client's request on `transport`: the action `name` (span `action
 * <name>`) or the verb `name` (span `<name>`), the child of the `traceparent` the client sent,
 * if it sent one (then a request of its own).
 */
function requestSpan(
  nodeId: string,
  kind: "actions" | "verbs",
  name: string,
  transport: string,
  traceparent: unknown,
): SpanRequest {
  if (typeof traceparent === "string") {
    return newRequestSpan(kind, name, transport, { traceparent });
  }
  let cached = requestSpans.get(nodeId);
  if (cached === undefined) {
    requestSpans.set(nodeId, (cached = { actions: new Map(), verbs: new Map() }));
  }
  let byTransport = cached[kind].get(name);
  if (byTransport === undefined) cached[kind].set(name, (byTransport = new Map()));
  let request = byTransport.get(transport);
  if (request === undefined) {
    request = Object.freeze(newRequestSpan(kind, name, transport, undefined));
    byTransport.set(transport, request);
  }
  return request;
}

function newRequestSpan(
  kind: "actions" | "verbs",
  name: string,
  transport: string,
  parent: TraceCarrier | undefined,
): SpanRequest {
  return kind === "actions"
    ? {
        name: `action ${name}`,
        kind: "server",
        parent,
        attributes: Object.freeze({ "actionwire.action": name, "actionwire.transport": transport }),
      }
    : {
        name,
        kind: "server",
        parent,
        attributes: Object.freeze({ "actionwire.transport": transport }),
      };
}

/** A transport accepted a connection. */
export function publishConnectionOpen(nodeId: string, connection: Connection): void {
  if (!connectionOpen.hasSubscribers) return;
  connectionOpen.publish(connectionEvent(nodeId, connection));
}

/** A connection is gone. */
export function publishConnectionClose(nodeId: string, connection: Connection): void {
  if (!connectionClose.hasSubscribers) return;
  connectionClose.publish(connectionEvent(nodeId, connection));
}

/** A frame arrived on `transport`. */
export function publishMessageReceived(nodeId: string, transport: string): void {
  if (!messageReceived.hasSubscribers) return;
  messageReceived.publish({ nodeId, transport, count: 1 } satisfies MessageEvent);
}

/** `count` messages were written to clients of `transport`. */
export function publishMessagesSent(nodeId: string, transport: string, count: number): void {
  if (!messageSent.hasSubscribers || count === 0) return;
  messageSent.publish({ nodeId, transport, count } satisfies MessageEvent);
}

/** Whether {@link observeAction} has anything to do (a subscriber, or a tracer). */
export function actionsObserved(): boolean {
  return actionStart.hasSubscribers || actionEnd.hasSubscribers || spanHooks.size > 0;
}

/**
 * Runs a known action observed: the start event, the run inside a span (when tracing is on for
 * this node), and the end event when the run returns, throws or settles. Call it only when
 * {@link actionsObserved} says so; the unobserved path calls `run` directly. With no subscriber
 * to the action channels no event is made and no time is read: only the span.
 */
export function observeAction<T>(
  nodeId: string,
  action: string,
  connection: Connection,
  traceparent: unknown,
  run: () => T | Promise<T>,
): T | Promise<T> {
  const hooks = spanHooks.get(nodeId);
  const span =
    hooks === undefined
      ? undefined
      : requestSpan(nodeId, "actions", action, connection.transport, traceparent);
  if (!actionStart.hasSubscribers && !actionEnd.hasSubscribers) {
    return hooks === undefined ? run() : hooks.inSpan(span!, run);
  }
  const event: ActionEvent = {
    nodeId,
    action,
    connectionId: connection.id,
    transport: connection.transport,
    traceparent: typeof traceparent === "string" ? traceparent : undefined,
  };
  const startedAt = performance.now();
  if (actionStart.hasSubscribers) actionStart.publish(event);
  let result: T | Promise<T>;
  try {
    result = hooks === undefined ? run() : hooks.inSpan(span!, run);
  } catch (error) {
    endAction(event, startedAt, error);
    throw error;
  }
  if (!(result instanceof Promise)) {
    endAction(event, startedAt, undefined);
    return result;
  }
  return result.then(
    (value) => {
      endAction(event, startedAt, undefined);
      return value;
    },
    (error: unknown) => {
      endAction(event, startedAt, error);
      throw error;
    },
  );
}

/** Fills in an action's outcome, code and duration, and publishes its end. */
function endAction(event: ActionEvent, startedAt: number, error: unknown): void {
  event.durationMs = performance.now() - startedAt;
  event.outcome = error === undefined ? "ok" : "error";
  if (error !== undefined) event.code = codeOf(error);
  if (actionEnd.hasSubscribers) actionEnd.publish(event);
}

/**
 * Runs work inside a span when tracing is on for this node (a `say`, a room message or a
 * command from another node); otherwise just runs it.
 */
export function inSpan<T>(nodeId: string, request: SpanRequest, work: () => T): T {
  const hooks = spanHooks.get(nodeId);
  return hooks === undefined ? work() : hooks.inSpan(request, work);
}

/**
 * Runs a client's request (a `say`) inside a span, the child of the W3C `traceparent` it sent,
 * when tracing is on for this node; otherwise just runs it.
 */
export function inRequestSpan<T>(
  nodeId: string,
  name: string,
  connection: Connection,
  traceparent: unknown,
  work: () => T,
): T {
  const hooks = spanHooks.get(nodeId);
  if (hooks === undefined) return work();
  return hooks.inSpan(requestSpan(nodeId, "verbs", name, connection.transport, traceparent), work);
}

/**
 * The active trace context as a carrier for the cluster bus (a room message or a command sent
 * from inside a span); `undefined` when no tracer is plugged in or no span is active.
 */
export function currentTrace(): TraceCarrier | undefined {
  if (spanHooks.size === 0) return undefined;
  for (const hooks of spanHooks.values()) return hooks.carrier();
  return undefined;
}

/** This node published a room message. */
export function publishRoomMessage(nodeId: string, room: string, from: string): void {
  if (!roomMessage.hasSubscribers) return;
  roomMessage.publish({ nodeId, room, from } satisfies RoomMessageEvent);
}

/** A request of `connection` was answered with an error. */
export function publishError(nodeId: string, connection: Connection, error: unknown): void {
  if (!errors.hasSubscribers) return;
  errors.publish({
    nodeId,
    code: codeOf(error),
    transport: connection.transport,
    connectionId: connection.id,
  } satisfies ErrorEvent);
}

/** A push to `connection` met a full backlog. */
export function publishSlowConsumer(
  nodeId: string,
  connection: Connection,
  policy: "disconnect" | "drop",
): void {
  if (!slowConsumer.hasSubscribers) return;
  slowConsumer.publish({
    nodeId,
    connectionId: connection.id,
    transport: connection.transport,
    policy,
  } satisfies SlowConsumerEvent);
}

/** A client resumed its session on a new socket (`recovered`: nothing it missed was lost). */
export function publishResume(
  nodeId: string,
  connectionId: string,
  transport: string,
  recovered: boolean,
): void {
  if (!resume.hasSubscribers) return;
  resume.publish({ nodeId, connectionId, transport, recovered } satisfies ResumeEvent);
}

/** A message crossed the cluster bus. */
export function publishClusterMessage(
  nodeId: string,
  direction: "in" | "out",
  kind: "room" | "command",
): void {
  if (!clusterMessage.hasSubscribers) return;
  clusterMessage.publish({ nodeId, direction, kind } satisfies ClusterMessageEvent);
}

function connectionEvent(nodeId: string, connection: Connection): ConnectionEvent {
  return {
    nodeId,
    connectionId: connection.id,
    transport: connection.transport,
    remoteIP: connection.remoteIP,
  };
}

/** The code a failure is answered with: an {@link ActionwireError}'s, else `ERR_ACTION_FAILED`. */
function codeOf(error: unknown): ErrorCode {
  return error instanceof ActionwireError ? error.code : "ERR_ACTION_FAILED";
}
