import type { ClusterBus, NodeQuestion } from "../core/cluster-bus.js";
import type { Connection } from "../core/connection.js";
import type { ConnectionTable } from "../core/connection-table.js";
import type { RoomManager } from "../core/rooms/room-manager.js";
import type { AdminStats, NodeStats } from "./admin-stats.js";

/** The most rooms, connections or listened rooms one node puts in one answer. */
export const MAX_ANSWER_ITEMS = 1_001;

/** The listened rooms a connection's view shows (its `listeningCount` says how many it has). */
export const MAX_LISTENED_SHOWN = 20;

/** One connection as the admin page shows it. */
export interface AdminConnectionView {
  readonly id: string;
  readonly nodeId: string;
  readonly transport: string;
  readonly state: string;
  readonly remoteIP: string;
  readonly remotePort: number;
  readonly connectedAt: number;
  /** `connection.data[admin.userKey]`, when it is a string or a number. */
  readonly user: string | null;
  readonly room: string | null;
  readonly listeningRooms: string[];
  readonly listeningCount: number;
  readonly session: boolean;
  readonly totalActions: number;
  readonly pendingActions: number;
  readonly messageCount: number;
}

/** A node's overview: its statistics, connections and rooms. */
export interface NodeOverview extends NodeStats {
  readonly connections: Record<string, number>;
  readonly rooms: number;
}

/** A room's name and its member count on one node (or, merged, in the cluster). */
export type RoomCount = [name: string, members: number];

/** How rooms are filtered: by a prefix or a substring of their name (empty: every room). */
export interface RoomFilter {
  readonly q: string;
  readonly match: "prefix" | "substring";
}

/**
 * One node's answers to the admin page's questions (asked of every node over the cluster bus,
 * see {@link ClusterBus.ask}). Every answer is bounded: at most {@link MAX_ANSWER_ITEMS} items.
 * Counts are read from what the node keeps anyway (the connection table's counts per
 * transport, the bus's members per room); only a lookup by user walks the node's connections.
 */
export class AdminAnswers {
  constructor(
    private readonly nodeId: string,
    private readonly userKey: string,
    private readonly stats: AdminStats,
    private readonly table: ConnectionTable,
    private readonly rooms: RoomManager,
    private readonly bus: ClusterBus,
  ) {}

  /** Answers a question (from this node or another); an unknown one is an error. */
  answer(question: NodeQuestion): unknown {
    switch (question.kind) {
      case "overview":
        return this.overview();
      case "rooms":
        return this.roomsPage(
          filterOf(question),
          question.sort === "name" ? "name" : "members",
          typeof question.after === "string" ? question.after : undefined,
          take(question.take),
        );
      case "roomCounts":
        return this.roomCounts(
          Array.isArray(question.rooms)
            ? question.rooms.filter((room): room is string => typeof room === "string")
            : [],
        );
      case "connection": {
        const connection =
          typeof question.id === "string" ? this.table.get(question.id) : undefined;
        return connection === undefined ? [] : [this.view(connection)];
      }
      case "user":
        return typeof question.user === "string"
          ? this.byUser(question.user, take(question.take))
          : [];
      default:
        throw new Error(`unknown question: ${String(question.kind)}`);
    }
  }

  overview(): NodeOverview {
    let rooms = 0;
    for (const [, members] of this.#localRooms()) if (members > 0) rooms++;
    return {
      ...this.stats.snapshot(),
      connections: this.table.countsByTransport(),
      rooms,
    };
  }

  /**
   * This node's rooms that match, with their local member counts: the `take` with the most
   * members (ties by name), or the `take` first by name after `after`.
   */
  roomsPage(
    filter: RoomFilter,
    sort: "members" | "name",
    after: string | undefined,
    count: number,
  ): { rooms: RoomCount[]; matched: number } {
    const matches = matcher(filter);
    const kept: RoomCount[] = [];
    let matched = 0;
    const order = sort === "members" ? byMembers : byName;
    for (const [room, members] of this.#localRooms()) {
      if (members === 0 || !matches(room)) continue;
      matched++;
      if (sort === "name" && after !== undefined && room <= after) continue;
      kept.push([room, members]);
      // Kept bounded while walking: sorted and cut whenever it doubles.
      if (kept.length >= count * 2 + 64) {
        kept.sort(order);
        kept.length = count;
      }
    }
    kept.sort(order);
    if (kept.length > count) kept.length = count;
    return { rooms: kept, matched };
  }

  /** This node's member counts of the given rooms (0 where it has none). */
  roomCounts(rooms: readonly string[]): number[] {
    const members = this.bus.localMembers?.();
    if (members !== undefined) {
      return rooms.slice(0, MAX_ANSWER_ITEMS).map((room) => members.get(room)?.size ?? 0);
    }
    const sizes = new Map(this.rooms.audienceSizes());
    return rooms.slice(0, MAX_ANSWER_ITEMS).map((room) => sizes.get(room) ?? 0);
  }

  /** Up to `count` connections of this node whose user is `user` (this walks the connections). */
  byUser(user: string, count: number): AdminConnectionView[] {
    const found: AdminConnectionView[] = [];
    for (const connection of this.table.values()) {
      if (userOf(connection, this.userKey) !== user) continue;
      found.push(this.view(connection));
      if (found.length >= count) break;
    }
    return found;
  }

  view(connection: Connection): AdminConnectionView {
    const listening = [...connection.listeningRooms];
    return {
      id: connection.id,
      nodeId: this.nodeId,
      transport: connection.transport,
      state: connection.state,
      remoteIP: connection.remoteIP,
      remotePort: connection.remotePort,
      connectedAt: connection.connectedAt,
      user: userOf(connection, this.userKey),
      room: connection.room,
      listeningRooms: listening.slice(0, MAX_LISTENED_SHOWN),
      listeningCount: listening.length,
      session: connection.session !== undefined,
      totalActions: connection.totalActions,
      pendingActions: connection.pendingActions,
      messageCount: connection.messageCount,
    };
  }

  /** Rooms with local members (the bus keeps them), or else with a local audience. */
  *#localRooms(): Iterable<[string, number]> {
    const members = this.bus.localMembers?.();
    if (members === undefined) {
      yield* this.rooms.audienceSizes();
      return;
    }
    for (const [room, ids] of members) yield [room, ids.size];
  }
}

/** Most members first, then by name. */
export function byMembers(a: RoomCount, b: RoomCount): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** By name (code unit order, the order a cursor pages in). */
export function byName(a: RoomCount, b: RoomCount): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** A room name test for a filter. */
export function matcher({ q, match }: RoomFilter): (room: string) => boolean {
  if (q === "") return () => true;
  return match === "prefix" ? (room) => room.startsWith(q) : (room) => room.includes(q);
}

function filterOf(question: NodeQuestion): RoomFilter {
  return {
    q: typeof question.q === "string" ? question.q : "",
    match: question.match === "prefix" ? "prefix" : "substring",
  };
}

function take(value: unknown): number {
  return typeof value === "number" && Number.isInteger(value) && value > 0
    ? Math.min(value, MAX_ANSWER_ITEMS)
    : 1;
}

/** A connection's user, as the admin page matches and shows it. */
function userOf(connection: Connection, key: string): string | null {
  const value = connection.data[key];
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}
