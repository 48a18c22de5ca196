import type { Connection } from "../connection.js";

/**
 * Application hooks that may refuse a room operation. A hook allows by returning `true` (or a
 * promise of it); anything else refuses with `ERR_NOT_AUTHORIZED`, so a hook that forgets to
 * return refuses rather than lets everyone in. Throwing an `ActionwireError` sends that error
 * instead. Rules in `config.roomRules` are checked first; the default room is authorized too.
 */
export interface RoomHooks {
  /** May `connection` make `room` its current room? Also asked for the default room. */
  authorizeJoin?(connection: Connection, room: string): boolean | Promise<boolean>;
  /** May `connection` hear `room` without joining it (`listenToRoom`)? */
  authorizeListen?(connection: Connection, room: string): boolean | Promise<boolean>;
  /** May `connection` say `message` in `room`? Called for every `say`, so keep it cheap. */
  authorizeSay?(connection: Connection, room: string, message: string): boolean | Promise<boolean>;
}
