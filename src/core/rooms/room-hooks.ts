import type { Connection } from "../connection.js";

/**
 * Application hooks that may refuse a room operation. A hook allows by returning `true` (or a
 * promise of it); anything else refuses with `ERR_NOT_AUTHORIZED`, so a hook that forgets to
 * return refuses rather than lets everyone in. Throwing an `ActionwireError` sends that error
 * instead. Rules in `config.roomRules` are checked first; the default room is authorized too.
 */
export interface RoomHooks {
  authorizeJoin?(connection: Connection, room: string): boolean | Promise<boolean>;
  authorizeListen?(connection: Connection, room: string): boolean | Promise<boolean>;
  authorizeSay?(connection: Connection, room: string, message: string): boolean | Promise<boolean>;
}
