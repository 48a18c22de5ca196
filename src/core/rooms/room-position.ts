import type { TraceCarrier } from "../instrumentation.js";

/** Where a push stands in its room's history (docs/protocol.md, "Room positions"). */
export interface RoomPosition {
  /** Names the room's history; a new epoch means the history before it is gone. */
  readonly epoch: string;
  /** The push's number in the room, from 1, with no gaps. */
  readonly offset: number;
}

/** What a room's history holds after a position (see {@link ClusterBus.history}). */
export type HistoryRead =
  | {
      /** Every push after the position follows, in order. */
      readonly recovered: true;
      /** The pushes' JSON texts (each with its `offset` and `epoch`), in offset order. */
      readonly pushes: readonly PositionedPush[];
    }
  | { readonly recovered: false };

/** A room push with its position, as the history keeps it and the bus delivers it. */
export interface PositionedPush {
  readonly offset: number;
  readonly json: string;
  /** The connection that must not receive it (the sender, or the one who moved). */
  readonly except?: string;
  /** The request that published it (see RoomPublication.tag), if it was tagged. */
  readonly tag?: string;
  /** The trace context it was published in, on live delivery (the history does not keep it). */
  readonly trace?: TraceCarrier;
}

/**
 * Reads the position back out of a push's JSON text, whose first keys are `offset` and `epoch`
 * (without parsing the rest); `undefined` for a push without one.
 */
export function positionOf(json: string): RoomPosition | undefined {
  if (!json.startsWith('{"offset":')) return undefined;
  const comma = json.indexOf(",", 10);
  const offset = Number(json.slice(10, comma));
  const start = json.indexOf('"epoch":"', comma) + 9;
  const end = json.indexOf('"', start);
  return { offset, epoch: json.slice(start, end) };
}
