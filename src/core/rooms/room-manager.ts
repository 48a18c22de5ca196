import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { TOKENS } from "../tokens.js";
import type { ClusterBus, RoomEnvelope } from "../cluster-bus.js";
import type { ResolvedConfig } from "../config.js";
import type { Connection } from "../connection.js";
import type { ConnectionTable, TransportGroup } from "../connection-table.js";
import { ActionwireError } from "../errors.js";
import { PreparedMessage } from "../prepared-message.js";
import type { RoomHooks } from "./room-hooks.js";

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

  /** Joins a room, announcing the move to the room's other members and listeners. */
  async join(connection: Connection, room: string): Promise<void> {
    connection.room = room;
    // A room it listened to is already heard: it becomes a member instead.
    if (!connection.listeningRooms.delete(room)) await this.hear(room, connection.id);
    await this.bus.addMember(room, connection.id);
    if (connection.open) await this.notice(room, connection.id, ENTERED_MESSAGE);
  }

  /** Leaves the current room, if any, announcing it. */
  async leave(connection: Connection): Promise<void> {
    const room = connection.room;
    if (room === null) return;
    connection.room = null;
    await this.bus.removeMember(room, connection.id);
    await this.unhear(room, connection.id);
    await this.notice(room, connection.id, LEFT_MESSAGE);
  }

  /** `roomChange`: a no-op for the current room. */
  async change(connection: Connection, room: string): Promise<void> {
    if (connection.room === room) return;
    await this.authorize("join", connection, room);
    await this.leave(connection);
    await this.join(connection, room);
  }

  async listen(connection: Connection, room: string): Promise<void> {
    if (connection.room === room || connection.listeningRooms.has(room)) {
      throw new ActionwireError("ERR_ALREADY_LISTENING", "you are already listening to this room");
    }
    await this.authorize("listen", connection, room);
    connection.listeningRooms.add(room);
    await this.hear(room, connection.id);
  }

  async silence(connection: Connection, room: string): Promise<void> {
    if (!connection.listeningRooms.delete(room)) {
      throw new ActionwireError("ERR_NOT_LISTENING", "you are not listening to this room");
    }
    await this.unhear(room, connection.id);
  }

  /** Sends a chat message to the sender's room; the sender does not hear it. */
  async say(connection: Connection, message: string): Promise<void> {
    const room = this.currentRoom(connection);
    await this.authorize("say", connection, room, message);
    await this.publish(room, connection.id, message);
  }

  /** `roomView` of the connection's current room, cluster-wide. */
  async view(
    connection: Connection,
  ): Promise<{ room: string; members: string[]; membersCount: number }> {
    const room = this.currentRoom(connection);
    const members = await this.bus.members(room);
    return { room, members, membersCount: members.length };
  }

  /** The connection is gone: it leaves its room (announced) and stops listening. */
  async drop(connection: Connection): Promise<void> {
    for (const room of connection.listeningRooms) await this.unhear(room, connection.id);
    connection.listeningRooms.clear();
    await this.leave(connection);
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
  }

  /** Publishes a chat push (`context: "user"`) to a room, once for the whole cluster. */
  async publish(room: string, from: string, message: string): Promise<void> {
    const json = JSON.stringify({ context: "user", message, room, from, sentAt: Date.now() });
    await this.bus.publish({ room, json, except: from });
  }

  private async notice(room: string, from: string, message: string): Promise<void> {
    if (this.config.roomNotices) await this.publish(room, from, message);
  }

  private currentRoom(connection: Connection): string {
    if (connection.room === null) {
      throw new ActionwireError("ERR_NOT_IN_ROOM", "you are not in a room");
    }
    return connection.room;
  }

  private async hear(room: string, connectionId: string): Promise<void> {
    let audience = this.#audience.get(room);
    if (audience === undefined) {
      this.#audience.set(room, (audience = { ids: new Set(), groups: undefined }));
      await this.bus.setInterest(room, true);
    }
    audience.ids.add(connectionId);
    audience.groups = undefined;
  }

  private async unhear(room: string, connectionId: string): Promise<void> {
    const audience = this.#audience.get(room);
    if (audience === undefined || !audience.ids.delete(connectionId)) return;
    audience.groups = undefined;
    if (audience.ids.size === 0) {
      this.#audience.delete(room);
      await this.bus.setInterest(room, false);
    }
  }
}

/** A room's local audience: its connection ids, and them grouped by transport until it changes. */
interface Audience {
  readonly ids: Set<string>;
  groups: TransportGroup[] | undefined;
}
