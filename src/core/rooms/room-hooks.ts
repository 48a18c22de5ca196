import type { Connection } from "../connection.js";

/**
 * Application hooks that may refuse a room operation. Returning `false` (or a promise of it)
 * refuses with `ERR_NOT_AUTHORIZED`; throwing an `ActionwireError` sends that error instead.
 * Rules in `config.roomRules` are checked first.
 */
export interface RoomHooks {
  authorizeJoin?(connection: Connection, room: string): boolean | Promise<boolean>;
  authorizeListen?(connection: Connection, room: string): boolean | Promise<boolean>;
  authorizeSay?(connection: Connection, room: string, message: string): boolean | Promise<boolean>;
}
