import type {
  ClusterBus,
  ClusterBusListener,
  ConnectionCommand,
  HistoryLimits,
  RoomPublication,
} from "./cluster-bus.js";
import { RoomHistory } from "./rooms/room-history.js";
import type { HistoryRead, RoomPosition } from "./rooms/room-position.js";

/** The default bus: one process, state and room histories in memory, delivery synchronous. */
export class MemoryClusterBus implements ClusterBus {
  #listener: ClusterBusListener | undefined;
  readonly #members = new Map<string, Set<string>>();
  readonly #history: RoomHistory;

  constructor(limits: HistoryLimits = { historySize: 1_000, windowMs: 120_000 }) {
    this.#history = new RoomHistory(
      limits.historySize,
      limits.windowMs,
      limits.historyBytes ?? 1024 * 1024,
    );
  }

  async start(listener: ClusterBusListener): Promise<void> {
    this.#listener = listener;
  }

  async stop(): Promise<void> {
    this.#listener = undefined;
    this.#members.clear();
    this.#history.stop();
  }

  async addConnection(): Promise<void> {}

  async removeConnection(): Promise<void> {}

  async addMember(room: string, connectionId: string): Promise<void> {
    let members = this.#members.get(room);
    if (members === undefined) this.#members.set(room, (members = new Set()));
    members.add(connectionId);
  }

  async removeMember(room: string, connectionId: string): Promise<void> {
    const members = this.#members.get(room);
    if (members === undefined) return;
    members.delete(connectionId);
    if (members.size === 0) this.#members.delete(room);
  }

  localMembers(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.#members;
  }

  async members(room: string): Promise<string[]> {
    return [...(this.#members.get(room) ?? [])];
  }

  async setInterest(room: string, interested: boolean): Promise<void> {
    // One process: every room message is already local; the history keeps a heard room's epoch.
    this.#history.heard(room, interested);
  }

  async publish({ room, message, except, tag }: RoomPublication): Promise<void> {
    const push = this.#history.append(room, message, except, tag);
    // Delivered here and now, inside the publisher's span if it has one: the envelope carries no
    // trace context, so the delivery makes no `room message` span of its own (one per say).
    this.#listener?.roomMessage({ ...push, room });
  }

  async position(room: string): Promise<RoomPosition> {
    return this.#history.position(room);
  }

  async published(room: string, tag: string): Promise<boolean> {
    return this.#history.published(room, tag);
  }

  async history(room: string, position: RoomPosition): Promise<HistoryRead> {
    return this.#history.read(room, position);
  }

  async command(_command: ConnectionCommand): Promise<boolean> {
    return false; // one process: a connection not found locally is nowhere
  }
}
