import type { PreparedMessage, ServerMessage } from "../../src/core/prepared-message.js";
import type { RealtimeTransport } from "../../src/core/realtime-transport.js";

/** One call the core made on a {@link RecordingTransport}, in order. */
export type TransportCall =
  { kind: "send"; ids: string[]; payload: ServerMessage } | { kind: "disconnect"; id: string };

/** A transport with no sockets that records what the core asks of it. */
export interface RecordingTransport extends RealtimeTransport {
  readonly calls: TransportCall[];
  /** The payloads sent to one connection, in order. */
  sentTo(id: string): ServerMessage[];
}

export function recordingTransport(name: string): RecordingTransport {
  const calls: TransportCall[] = [];
  return {
    name,
    capabilities: {
      nativeAcks: false,
      nativeBroadcast: false,
      binary: false,
      needsStickySessions: false,
      maxPayload: null,
    },
    calls,
    sentTo: (id) =>
      calls.flatMap((call) =>
        call.kind === "send" && call.ids.includes(id) ? [call.payload] : [],
      ),
    start: async () => undefined,
    send: (ids: Iterable<string>, message: PreparedMessage) =>
      void calls.push({
        kind: "send",
        ids: [...ids],
        payload: JSON.parse(message.json) as ServerMessage,
      }),
    disconnect: (id: string) => void calls.push({ kind: "disconnect", id }),
    stop: async () => undefined,
  };
}
