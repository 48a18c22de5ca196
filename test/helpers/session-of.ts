import type { Message, WsTestClient } from "./ws-test-client.js";

/** The welcome's `session` of a client that said hello (docs/protocol.md). */
export interface WelcomedSession {
  token: string;
  resumed: boolean;
  recovered: boolean;
  reason?: string;
  rooms: Record<string, { recovered: boolean; missed: number; refused?: boolean }>;
  alerts?: { recovered: boolean; missed: number };
}

/** The session a client's welcome gave it. */
export function sessionOf(client: WsTestClient): WelcomedSession {
  return client.welcome.session as WelcomedSession;
}

/** The resume params a client sends, from its welcome and the last room push it got. */
export function resumeOf(client: WsTestClient, last?: Message) {
  return {
    session: client.welcome.id,
    token: sessionOf(client).token,
    rooms:
      last === undefined ? {} : { [String(last.room)]: { epoch: last.epoch, offset: last.offset } },
  };
}

/** Drops a client's socket the way a network does: no quit, no close handshake. */
export async function drop(client: WsTestClient): Promise<void> {
  client.socket.terminate();
  await client.closed;
}
