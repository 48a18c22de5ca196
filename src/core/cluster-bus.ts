import type { ClusterStore } from "./cluster-store.js";
import type { HistoryRead, RoomPosition } from "./rooms/room-position.js";
import type { SessionStore } from "./sessions/session-store.js";
import type { TraceCarrier } from "./instrumentation.js";

/** A room message as it crosses the bus: built and serialised once by the sender. */
export interface RoomEnvelope {
  readonly room: string;
  /** The message's JSON text, handed unchanged to every recipient's transport. */
  readonly json: string;
  /** The connection that must not receive it (the sender, or the one who moved). */
  readonly except?: string;
  /**
   * Its offset in the room's history, once the bus gave it one (the `json` then carries it,
   * with the epoch); absent on a push the bus could not record (Redis unreachable).
   */
  readonly offset?: number;
  /** The trace context it was sent in, if tracing is on (docs/operating.md). */
  readonly trace?: TraceCarrier;
}

/** A room message to publish: the bus serialises it once, with its position if it gives one. */
export interface RoomPublication {
  readonly room: string;
  /** The push (an object with its `context`), serialised once for every recipient. */
  readonly message: Readonly<Record<string, unknown>>;
  /** The connection that must not receive it (the sender, or the one who moved). */
  readonly except?: string;
  /**
   * Marks the push in the room's history as a request's (its session and `messageId`), so a
   * request re-sent after its node died can tell whether it was published ({@link ClusterBus.published}).
   */
  readonly tag?: string;
  /** The trace context it was sent in, if tracing is on (docs/operating.md). */
  readonly trace?: TraceCarrier;
}

/** How much of each room's history a bus keeps (`config.resume`). */
export interface HistoryLimits {
  /** Pushes per room at most. */
  readonly historySize: number;
  /** Pushes older than this are dropped, in ms. */
  readonly windowMs: number;
  /** Bytes of pushes per room at most, where the bus counts them (in memory). */
  readonly historyBytes?: number;
}

/**
 * A command for the node that holds a connection (server-side push or disconnect), with the
 * trace context it was sent in, if tracing is on.
 */
export type ConnectionCommand = (
  | {
      kind: "alert";
      connectionId: string;
      message: string;
      extra: Record<string, unknown>;
      /** The alert's text, numbered for the connection's session (when it has one). */
      json?: string;
    }
  | {
      kind: "disconnect";
      connectionId: string;
      reason: string;
      /** A code and text for the goodbye (the admin page's disconnect). */
      code?: string;
      error?: string;
    }
  /** The connection's session was resumed elsewhere: close it without a goodbye or a leave. */
  | { kind: "handover"; connectionId: string }
) & { trace?: TraceCarrier };

/**
 * A question for every node of the cluster (the admin page's overview, rooms and lookups): JSON,
 * named by its `kind`; each node's answer is JSON too.
 */
export interface NodeQuestion {
  readonly kind: string;
  readonly [key: string]: unknown;
}

/** One node's answer to a {@link NodeQuestion}. */
export type NodeAnswer =
  | { readonly nodeId: string; readonly status: "ok"; readonly answer: unknown }
  /** It did not answer in time (or could not be asked). */
  | { readonly nodeId: string; readonly status: "no answer" }
  /** Its answer failed: the error's text. */
  | { readonly nodeId: string; readonly status: "error"; readonly error: string };

/** What the bus calls back into the node. */
export interface ClusterBusListener {
  /** A room message for this node (its own ones included); deliver it to local members. */
  roomMessage(envelope: RoomEnvelope): void;
  /** A dead node's members were removed from a room; announce that they left (once). */
  membersReaped(room: string, connectionIds: readonly string[]): void;
  /** A command for a connection of this node, sent from another node. */
  command(command: ConnectionCommand): void;
  /** A question asked of every node ({@link ClusterBus.ask}): this node's answer. */
  answer?(question: NodeQuestion): Promise<unknown>;
}

/**
 * The seam between rooms and the cluster. The in-memory bus serves one process; the Redis bus
 * (adapters/redis) makes many nodes act as one. Membership writes never fail the caller: a bus
 * that cannot reach its store keeps serving this node and catches up later.
 */
export interface ClusterBus {
  /** Connects and subscribes; from then on the bus calls `listener` for this node. */
  start(listener: ClusterBusListener): Promise<void>;
  /**
   * Leaves the cluster: this node's members go at once (not left for reaping), and what
   * `start` took is released.
   */
  stop(): Promise<void>;
  /** A connection now lives on this node (for commands sent from other nodes). */
  addConnection(connectionId: string): Promise<void>;
  /** The connection is gone from this node (commands for it find no node any more). */
  removeConnection(connectionId: string): Promise<void>;
  /** Records a connection of this node as a member of a room, cluster-wide. */
  addMember(room: string, connectionId: string): Promise<void>;
  /** The connection left the room, cluster-wide. */
  removeMember(room: string, connectionId: string): Promise<void>;
  /**
   * Whether the bus reaches its backend, and how many nodes are alive (for `/readyz` and the
   * `actionwire_cluster_nodes` metric); absent on a bus that serves one process.
   */
  status?(): Promise<ClusterStatus>;
  /** Every member of a room, on every live node. */
  members(room: string): Promise<string[]>;
  /** This node has local members or listeners in `room` (`true`) or no longer has (`false`). */
  setInterest(room: string, interested: boolean): Promise<void>;
  /**
   * Sends a room message to every node interested in the room (one publish, not one per
   * member), this one included. A bus with a {@link ClusterBus.history} first gives it the
   * room's next offset (in `json`, with its epoch); every node then delivers a room's
   * messages in offset order, filling a gap from the history.
   */
  publish(publication: RoomPublication): Promise<void>;
  /**
   * The room's pushes after `position`, if its history still holds all of them; absent on a
   * bus that keeps no history (its pushes carry no position, and no room is ever recovered).
   */
  history?(room: string, position: RoomPosition): Promise<HistoryRead>;
  /**
   * Where the room's history stands now: what a client that begins to hear the room resumes
   * from. A room with no history yet is `{ epoch: "", offset: 0 }` (its first epoch follows).
   */
  position?(room: string): Promise<RoomPosition>;
  /** Whether the room's history holds a push published with this tag (a bus with a history). */
  published?(room: string, tag: string): Promise<boolean>;
  /** Where sessions are kept: shared by every node (Redis); absent: in this node's memory. */
  readonly sessions?: SessionStore;
  /** Sends a command to the node holding a connection; `false` if no live node holds it. */
  command(command: ConnectionCommand): Promise<boolean>;
  /**
   * Asks every live node (this one included) and gathers the answers, each node's within
   * `timeoutMs` (one that does not answer in time is listed as `no answer`); absent on a bus
   * that serves one process (the node answers alone).
   */
  ask?(question: NodeQuestion, timeoutMs: number): Promise<NodeAnswer[]>;
  /**
   * This node's members by room, as the bus keeps them (the admin page's room counts read it
   * instead of keeping a copy); absent: the admin page counts the rooms' audiences.
   */
  localMembers?(): ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Small records every node shares, if this bus has a store they can share (the Redis bus);
   * absent on a bus that serves one process. Usable between `start` and `stop`.
   */
  readonly store?: ClusterStore;
}

/** What {@link ClusterBus.status} reports. */
export interface ClusterStatus {
  /** The backend (Redis) answered. */
  readonly reachable: boolean;
  /** Live nodes in the cluster (this one included); 0 when unknown. */
  readonly nodes: number;
}
