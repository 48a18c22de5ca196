/** A room message as it crosses the bus: built and serialised once by the sender. */
export interface RoomEnvelope {
  readonly room: string;
  /** The message's JSON text, handed unchanged to every recipient's transport. */
  readonly json: string;
  /** The connection that must not receive it (the sender, or the one who moved). */
  readonly except?: string;
}

/** What the bus calls back into the node. */
export interface ClusterBusListener {
  /** A room message reached this node (its own ones included); deliver it to local members. */
  roomMessage(envelope: RoomEnvelope): void;
}

/**
 * The seam between rooms and the cluster. The in-memory bus serves one process; the Redis bus
 * (adapters/redis) makes many nodes act as one. The room manager keeps local membership itself
 * and tells the bus what it needs to know cluster-wide.
 */
export interface ClusterBus {
  start(listener: ClusterBusListener): Promise<void>;
  stop(): Promise<void>;
  /** Records a connection of this node as a member of a room, cluster-wide. */
  addMember(room: string, connectionId: string): Promise<void>;
  removeMember(room: string, connectionId: string): Promise<void>;
  /** Every member of a room, on every node. */
  members(room: string): Promise<string[]>;
  /** This node has local members or listeners in `room` (`true`) or no longer has (`false`). */
  setInterest(room: string, interested: boolean): Promise<void>;
  /** Sends a room message to every node interested in the room (one publish, not one per member). */
  publish(envelope: RoomEnvelope): Promise<void>;
}
