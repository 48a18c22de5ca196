import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { TOKENS } from "../tokens.js";
import type { ClusterBus, RoomEnvelope, RoomPublication } from "../cluster-bus.js";
import type { ResolvedConfig } from "../config.js";
import type { Connection } from "../connection.js";
import type { ConnectionTable, TransportGroup } from "../connection-table.js";
import { ActionwireError } from "../errors.js";
import { currentTrace, publishRoomMessage } from "../instrumentation.js";
import { PreparedMessage } from "../prepared-message.js";
import type { ChatPush } from "../server-pushes.js";
import type { RoomHooks } from "./room-hooks.js";
import type { HistoryRead, RoomPosition } from "./room-position.js";

/** What a resumed session gets back of its rooms (docs/protocol.md, "The welcome of a session"). */
export interface RoomRecovery {
  recovered: boolean;
  /** Pushes that follow the welcome. */
  missed: number;
  /** A rule or hook no longer lets the session join (or listen to) the room: it was left. */
  refused?: true;
}

/** A session's rooms, to put back at a resume (see {@link RoomManager.restore}). */
export interface RoomsToRestore {
  readonly room: string | null;
  readonly listening: readonly string[];
  /** The client's position per room it heard. */
  readonly positions: ReadonlyMap<string, RoomPosition>;
  /** Announce the entry (the room was told the session left): `false` within the grace. */
  readonly announce: boolean;
}

/** The announcement texts (PROTOCOL.md, "entered / left"). */
export const ENTERED_MESSAGE = "I have entered the room";
export const LEFT_MESSAGE = "I have left the room";

/**
 * Rooms: membership, listening, chat and notices. Local state (who on this node hears which
 * room) lives here; cluster-wide membership and delivery go through the {@link ClusterBus}.
 */
@injectable()
export class RoomManager {
  /** room → the local connections that hear it (members and listeners). */
  readonly #audience = new Map<string, Audience>();

  constructor(
    @inject(TOKENS.Config) private readonly config: ResolvedConfig,
    @inject(TOKENS.ClusterBus) private readonly bus: ClusterBus,
    @inject(TOKENS.ConnectionTable) private readonly table: ConnectionTable,
    @inject(TOKENS.RoomHooks) private readonly hooks: RoomHooks,
  ) {}

  /** Rooms this node has local members or listeners in (the `actionwire_rooms` gauge). */
  get localRoomCount(): number {
    return this.#audience.size;
  }

  /** Each room this node hears, with the number of its local members and listeners. */
  *audienceSizes(): Iterable<[string, number]> {
    for (const [room, audience] of this.#audience) yield [room, audience.ids.size];
  }

  /**
   * Joins a room (the default room, at admission), announcing the move to the room's other
   * members and listeners.
   */
  join(connection: Connection, room: string): Promise<void> {
    return this.serial(connection, async () => {
      if (connection.open) await this.enter(connection, room);
    });
  }

  /**
   * `roomChange`: a no-op for the current room. For a session, resolves with where the room's
   * history stood as it entered (what it resumes from if nothing came since).
   */
  change(connection: Connection, room: string): Promise<RoomPosition | undefined> {
    return this.serial(connection, async () => {
      if (!connection.open || connection.room === room) return undefined;
      await this.authorize("join", connection, room);
      if (!connection.open) return undefined;
      const position = await this.position(connection, room);
      await this.leave(connection);
      await this.enter(connection, room);
      return position;
    });
  }

  /** Where a room's history stands, for a connection with a session (read before it hears). */
  async position(connection: Connection, room: string): Promise<RoomPosition | undefined> {
    if (connection.session === undefined) return undefined;
    return this.bus.position?.(room).catch(() => undefined);
  }

  /** `listenToRoom`: at most `limits.maxListenedRooms` rooms at once (see {@link change}). */
  listen(connection: Connection, room: string): Promise<RoomPosition | undefined> {
    return this.serial(connection, async () => {
      if (!connection.open) return undefined;
      if (connection.room === room || connection.listeningRooms.has(room)) {
        throw new ActionwireError(
          "ERR_ALREADY_LISTENING",
          "you are already listening to this room",
        );
      }
      const max = this.config.limits.maxListenedRooms;
      if (connection.listeningRooms.size >= max) {
        throw new ActionwireError(
          "ERR_LIMIT_EXCEEDED",
          `too many listened rooms: limits.maxListenedRooms is ${max}`,
        );
      }
      await this.authorize("listen", connection, room);
      if (!connection.open) return undefined;
      const position = await this.position(connection, room);
      connection.listeningRooms.add(room);
      await this.hear(room, connection.id);
      return position;
    });
  }

  silence(connection: Connection, room: string): Promise<void> {
    return this.serial(connection, async () => {
      if (!connection.open) return;
      if (!connection.listeningRooms.delete(room)) {
        throw new ActionwireError("ERR_NOT_LISTENING", "you are not listening to this room");
      }
      await this.unhear(room, connection.id);
    });
  }

  /**
   * Puts a resumed session's room and listened rooms back, each authorized again (a refused
   * one is left out), and reads what the client missed in each. The connection hears the live
   * pushes from now on but gets none yet: `replay` (called right after the welcome, its
   * messages sent at once) gives the missed pushes, then the live ones that came meanwhile,
   * each once and in order.
   */
  restore(
    connection: Connection,
    rooms: RoomsToRestore,
  ): Promise<{ recovery: Record<string, RoomRecovery>; replay: () => PreparedMessage[] }> {
    return this.serial(connection, async () => {
      const recovery: Record<string, RoomRecovery> = {};
      const reads: Array<[string, Promise<HistoryRead>]> = [];
      const wanted = [
        ...(rooms.room === null ? [] : [["join", rooms.room] as const]),
        ...rooms.listening.map((room) => ["listen", room] as const),
      ];
      for (const [how, room] of wanted) {
        try {
          await this.authorize(how, connection, room);
        } catch {
          if (rooms.positions.has(room))
            recovery[room] = { recovered: false, missed: 0, refused: true };
          continue;
        }
        if (!connection.open) break;
        await this.hear(room, connection.id, true);
        if (how === "join") {
          connection.room = room;
          await this.bus.addMember(room, connection.id);
          if (rooms.announce) await this.notice(room, connection.id, ENTERED_MESSAGE);
        } else {
          connection.listeningRooms.add(room);
        }
        const position = rooms.positions.get(room);
        if (position !== undefined) {
          const read =
            this.bus.history?.(room, position) ?? Promise.resolve({ recovered: false as const });
          reads.push([room, read]);
        }
      }
      const replays: Array<[string, HistoryRead]> = [];
      for (const [room, read] of reads) {
        const result = await read.catch((): HistoryRead => ({ recovered: false }));
        replays.push([room, result]);
        recovery[room] = {
          recovered: result.recovered,
          missed: result.recovered ? result.pushes.length : 0,
        };
      }
      return { recovery, replay: () => this.#replay(connection, replays) };
    });
  }

  /**
   * The connection's socket is gone but its session stays (a resume may follow): it stops
   * hearing its rooms here, and stays a member of its room, unannounced.
   */
  detach(connection: Connection): Promise<void> {
    return this.serial(connection, async () => {
      for (const room of connection.listeningRooms) await this.unhear(room, connection.id);
      if (connection.room !== null) await this.unhear(connection.room, connection.id);
    });
  }

  /**
   * A dropped session's grace is over: it leaves `room` on this node, announced when it did not
   * come back (`announce`), quietly when it came back on another node.
   */
  async leaveDetached(room: string, connectionId: string, announce: boolean): Promise<void> {
    await this.bus.removeMember(room, connectionId);
    if (announce) await this.notice(room, connectionId, LEFT_MESSAGE);
  }

  /** Sends a chat message to the sender's room; the sender does not hear it. */
  async say(connection: Connection, message: string, tag?: string): Promise<void> {
    const room = this.currentRoom(connection);
    await this.authorize("say", connection, room, message);
    await this.publish(room, connection.id, message, tag);
  }

  /** `roomView` of the connection's current room, cluster-wide. */
  async view(
    connection: Connection,
  ): Promise<{ room: string; members: string[]; membersCount: number }> {
    const room = this.currentRoom(connection);
    const members = await this.bus.members(room);
    return { room, members, membersCount: members.length };
  }

  /**
   * The connection is gone: it leaves its room (announced) and stops listening, after any
   * room move it started before (a move queued behind this one finds it closed and does
   * nothing), so no move of a closed connection outlives its leave.
   */
  drop(connection: Connection): Promise<void> {
    return this.serial(connection, async () => {
      for (const room of connection.listeningRooms) await this.unhear(room, connection.id);
      connection.listeningRooms.clear();
      await this.leave(connection);
    });
  }

  /** Checks the room rules in config, then the application's hooks. */
  async authorize(
    what: "join" | "listen" | "say",
    connection: Connection,
    room: string,
    message = "",
  ): Promise<void> {
    const rule = this.config.roomRules[room];
    let allowed =
      rule === undefined ||
      Object.entries(rule).every(([key, value]) => connection.data[key] === value);
    if (allowed) {
      if (what === "join" && this.hooks.authorizeJoin !== undefined) {
        allowed = await this.hooks.authorizeJoin(connection, room);
      } else if (what === "listen" && this.hooks.authorizeListen !== undefined) {
        allowed = await this.hooks.authorizeListen(connection, room);
      } else if (what === "say" && this.hooks.authorizeSay !== undefined) {
        allowed = await this.hooks.authorizeSay(connection, room, message);
      }
    }
    if (allowed !== true) {
      const verb = { join: "join", listen: "listen to", say: "speak in" }[what];
      throw new ActionwireError("ERR_NOT_AUTHORIZED", `not authorized to ${verb} room`);
    }
  }

  /** A dead node's members left `room`: the others hear it once (sent by the reaping node). */
  async membersReaped(room: string, connectionIds: readonly string[]): Promise<void> {
    for (const id of connectionIds) await this.notice(room, id, LEFT_MESSAGE);
  }

  roomMessage(envelope: RoomEnvelope): void {
    const audience = this.#audience.get(envelope.room);
    if (audience === undefined) return;
    audience.groups ??= this.table.group(audience.ids);
    this.table.sendToGroups(
      audience.groups,
      PreparedMessage.fromJson(envelope.json),
      envelope.except,
    );
    // Connections whose missed pushes are being read hear this one after them.
    if (audience.catching !== undefined) {
      for (const held of audience.catching.values()) held.push(envelope);
    }
  }

  /** Publishes a chat push (`context: "user"`) to a room, once for the whole cluster. */
  async publish(room: string, from: string, message: string, tag?: string): Promise<void> {
    const push: ChatPush = { context: "user", message, room, from, sentAt: Date.now() };
    publishRoomMessage(this.config.nodeId, room, from);
    const publication: RoomPublication =
      tag === undefined
        ? { room, message: push, except: from }
        : { room, message: push, except: from, tag };
    const trace = currentTrace();
    await this.bus.publish(trace === undefined ? publication : { ...publication, trace });
  }

  private async notice(room: string, from: string, message: string): Promise<void> {
    if (this.config.roomNotices) await this.publish(room, from, message);
  }

  /** Enters a room it is not in: its listen to the room, if any, becomes membership. */
  private async enter(connection: Connection, room: string): Promise<void> {
    connection.room = room;
    if (!connection.listeningRooms.delete(room)) await this.hear(room, connection.id);
    await this.bus.addMember(room, connection.id);
    await this.notice(room, connection.id, ENTERED_MESSAGE);
  }

  /** Leaves the current room, if any, announcing it. */
  private async leave(connection: Connection): Promise<void> {
    const room = connection.room;
    if (room === null) return;
    connection.room = null;
    await this.bus.removeMember(room, connection.id);
    await this.unhear(room, connection.id);
    await this.notice(room, connection.id, LEFT_MESSAGE);
  }

  /**
   * Runs a connection's room moves one at a time, in the order asked: each reads and changes
   * the connection's rooms across several awaits (hooks, the bus).
   */
  private serial<T>(connection: Connection, move: () => Promise<T>): Promise<T> {
    const done = (connection.roomWork ?? Promise.resolve()).then(move);
    const tail = done.then(forget, forget);
    connection.roomWork = tail;
    void tail.then(() => {
      if (connection.roomWork === tail) connection.roomWork = undefined;
    });
    return done;
  }

  private currentRoom(connection: Connection): string {
    if (connection.room === null) {
      throw new ActionwireError("ERR_NOT_IN_ROOM", "you are not in a room");
    }
    return connection.room;
  }

  /**
   * Adds a connection to a room's audience here; `catchUp`: it hears nothing yet, the room's
   * pushes are held for it until its replay (see {@link RoomManager.restore}).
   */
  private async hear(room: string, connectionId: string, catchUp = false): Promise<void> {
    let audience = this.#audience.get(room);
    if (audience === undefined) {
      this.#audience.set(
        room,
        (audience = { ids: new Set(), groups: undefined, catching: undefined }),
      );
      await this.bus.setInterest(room, true);
    }
    if (catchUp) {
      (audience.catching ??= new Map()).set(connectionId, []);
      return;
    }
    audience.ids.add(connectionId);
    audience.groups = undefined;
  }

  private async unhear(room: string, connectionId: string): Promise<void> {
    const audience = this.#audience.get(room);
    if (audience === undefined) return;
    if (audience.catching?.delete(connectionId) !== true) {
      if (!audience.ids.delete(connectionId)) return;
      audience.groups = undefined;
    }
    if (audience.ids.size === 0 && (audience.catching?.size ?? 0) === 0) {
      this.#audience.delete(room);
      await this.bus.setInterest(room, false);
    }
  }

  /**
   * What a resumed connection missed in each room, then what came meanwhile (past the last
   * replayed offset: nothing twice), to be sent now; it is a plain listener of the rooms again.
   */
  #replay(
    connection: Connection,
    replays: ReadonlyArray<[string, HistoryRead]>,
  ): PreparedMessage[] {
    const messages: PreparedMessage[] = [];
    const heard = [connection.room, ...connection.listeningRooms];
    for (const room of heard) {
      if (room === null) continue;
      const audience = this.#audience.get(room);
      const held = audience?.catching?.get(connection.id);
      if (audience === undefined || held === undefined) continue;
      audience.catching!.delete(connection.id);
      const read = replays.find(([name]) => name === room)?.[1];
      let last = 0;
      if (read?.recovered === true) {
        for (const push of read.pushes) {
          last = push.offset;
          if (push.except !== connection.id) messages.push(PreparedMessage.fromJson(push.json));
        }
      }
      for (const envelope of held) {
        if (envelope.offset !== undefined && envelope.offset <= last) continue;
        if (envelope.except !== connection.id)
          messages.push(PreparedMessage.fromJson(envelope.json));
      }
      audience.ids.add(connection.id);
      audience.groups = undefined;
    }
    return messages;
  }
}

function forget(): void {}

/** A room's local audience: its connection ids, and them grouped by transport until it changes. */
interface Audience {
  readonly ids: Set<string>;
  groups: TransportGroup[] | undefined;
  /** Resumed connections whose missed pushes are being read, each with the live ones held. */
  catching: Map<string, RoomEnvelope[]> | undefined;
}
