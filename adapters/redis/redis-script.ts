import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * A Lua script run with EVALSHA, falling back to EVAL once when Redis does not know it yet
 * (first use, or after a restart): one round trip per call, the script's text sent rarely.
 */
export class RedisScript {
  readonly #sha: string;

  constructor(private readonly source: string) {
    this.#sha = createHash("sha1").update(source).digest("hex");
  }

  async run(
    client: Redis,
    keys: readonly string[],
    args: ReadonlyArray<string | number>,
  ): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String(error).includes("NOSCRIPT")) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Appends a room push to the room's history and publishes it, atomically (after centrifuge's
 * broker_history_add_stream.lua): the room's offset goes up by one (its epoch is made on first
 * use), the positioned push is added to the room's stream (capped at about `historySize`), and
 * the same text is published to the room's channel. Both keys carry the room in a hash tag, so
 * they share one Redis Cluster slot.
 *
 * KEYS: meta hash, stream. ARGV: push JSON (an object's text, without its position), except
 * (`""`: none), history size, ttl ms, a new epoch (used if the room has none), channel, origin,
 * the request's tag (`""`: none; kept in the stream entry only),
 * the trace context's JSON (`""`: none; published, not kept).
 * Returns the offset.
 */
export const APPEND_AND_PUBLISH = new RedisScript(`
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[5]
  redis.call('HSET', KEYS[1], 'e', epoch)
end
local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
local push = '{"offset":' .. offset .. ',"epoch":"' .. epoch .. '",' .. string.sub(ARGV[1], 2)
if ARGV[8] == '' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], offset .. '-1', 'j', push, 'x', ARGV[2])
else
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], offset .. '-1', 'j', push, 'x', ARGV[2], 'm', ARGV[8])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local message = {o = ARGV[7], j = push, x = ARGV[2], n = offset}
if ARGV[9] ~= nil and ARGV[9] ~= '' then message.t = ARGV[9] end
redis.call('PUBLISH', ARGV[6], cjson.encode(message))
return offset
`);

/**
 * Numbers an alert for a session and keeps it, if the session exists: the session's alert
 * counter goes up by one, the alert's text gets it first (`{"seq":n,…}`), and the session's
 * alert list keeps the last `max`. KEYS: the session's record, counter, list. ARGV: the alert's
 * JSON (an object's text), max, ttl ms. Returns the numbered text, or nil.
 */
export const KEEP_ALERT = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local seq = redis.call('INCR', KEYS[2])
local alert = '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2)
redis.call('RPUSH', KEYS[3], alert)
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return alert
`);

/**
 * Writes a session's record and keeps what it recorded (requests, alert counter, alerts) alive
 * as long: one call instead of a transaction of four commands. KEYS: the record, the requests,
 * the alert counter, the alerts. ARGV: the record's JSON, ttl ms.
 */
export const SAVE_SESSION = new RedisScript(`
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
redis.call('PEXPIRE', KEYS[4], ARGV[2])
return 1
`);

/** Deletes a key only if it still holds `ARGV[1]` (a connection's node, not a newer one's). */
export const DELETE_IF_EQUAL = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);
