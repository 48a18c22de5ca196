import type {
  ClusterBus,
  ClusterBusListener,
  ConnectionCommand,
  RoomEnvelope,
} from "./cluster-bus.js";

/** The default bus: one process, state in memory, delivery synchronous. */
export class MemoryClusterBus implements ClusterBus {
  #listener: ClusterBusListener | undefined;
  readonly #members = new Map<string, Set<string>>();

  async start(listener: ClusterBusListener): Promise<void> {
    this.#listener = listener;
  }

  async stop(): Promise<void> {
    this.#listener = undefined;
    this.#members.clear();
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

  async members(room: string): Promise<string[]> {
    return [...(this.#members.get(room) ?? [])];
  }

  async setInterest(): Promise<void> {
    // One process: every room message is already local.
  }

  async publish(envelope: RoomEnvelope): Promise<void> {
    this.#listener?.roomMessage(envelope);
  }

  async command(_command: ConnectionCommand): Promise<boolean> {
    return false; // one process: a connection not found locally is nowhere
  }
}
