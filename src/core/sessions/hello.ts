import type { Limits } from "../config.js";
import { ActionwireError } from "../errors.js";
import { isPlainObject } from "../inbound-request.js";
import { MAX_ROOM_LENGTH } from "../verbs.js";
import type { RoomPosition } from "../rooms/room-position.js";

/** The first frame of a client that announced it (docs/protocol.md, "The hello"). */
export interface Hello {
  /** What the client sends `authenticate` (as `connection.auth`). */
  readonly auth?: Readonly<Record<string, unknown>>;
  /** The session to resume, if any. */
  readonly resume?: ResumeRequest;
}

/** The `resume` part of a hello. */
export interface ResumeRequest {
  readonly session: string;
  readonly token: string;
  /** The position of the last push the client got, per room it heard. */
  readonly rooms: ReadonlyMap<string, RoomPosition>;
  /** The number (`seq`) of the last alert the client got; 0: none. */
  readonly alerts: number;
}

/** The verb a hello frame names. */
export const HELLO_VERB = "hello";

/** Checks a hello's params; a malformed one is `ERR_BAD_MESSAGE`, saying what is wrong. */
export function parseHello(params: Record<string, unknown>, limits: Limits): Hello {
  const { auth, resume } = params;
  const hello: { auth?: Record<string, unknown>; resume?: ResumeRequest } = {};
  if (auth !== undefined && auth !== null) {
    if (!isPlainObject(auth)) throw bad("auth must be an object");
    if (Buffer.byteLength(JSON.stringify(auth)) > limits.maxParamsBytes) {
      throw bad(`auth is larger than limits.maxParamsBytes (${limits.maxParamsBytes} bytes)`);
    }
    hello.auth = auth;
  }
  if (resume !== undefined && resume !== null) {
    if (!isPlainObject(resume)) throw bad("resume must be an object");
    const { session, token, rooms, alerts = 0 } = resume;
    if (typeof alerts !== "number" || !Number.isSafeInteger(alerts) || alerts < 0) {
      throw bad("resume.alerts must be a whole number");
    }
    if (typeof session !== "string" || session.length === 0 || session.length > 100) {
      throw bad("resume.session must be a session id");
    }
    if (typeof token !== "string" || token.length === 0 || token.length > 100) {
      throw bad("resume.token must be a resume token");
    }
    const positions = new Map<string, RoomPosition>();
    if (rooms !== undefined && rooms !== null) {
      if (!isPlainObject(rooms)) throw bad("resume.rooms must be an object");
      const entries = Object.entries(rooms);
      if (entries.length > limits.maxListenedRooms + 1) {
        throw bad(`resume.rooms names more than ${limits.maxListenedRooms + 1} rooms`);
      }
      for (const [room, position] of entries) {
        if (room.length === 0 || room.length > MAX_ROOM_LENGTH) throw bad("a room name is invalid");
        if (!isPlainObject(position)) throw bad(`resume.rooms.${room} must be an object`);
        const { epoch, offset } = position;
        if (typeof epoch !== "string" || epoch.length > 100) {
          throw bad(`resume.rooms.${room}.epoch must be a string`);
        }
        if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
          throw bad(`resume.rooms.${room}.offset must be a whole number`);
        }
        positions.set(room, { epoch, offset });
      }
    }
    hello.resume = { session, token, rooms: positions, alerts };
  }
  return hello;
}

function bad(what: string): ActionwireError {
  return new ActionwireError("ERR_BAD_MESSAGE", `bad hello: ${what}`);
}
