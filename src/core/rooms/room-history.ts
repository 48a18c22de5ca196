import { randomBytes } from "node:crypto";
import type { HistoryRead, PositionedPush, RoomPosition } from "./room-position.js";

/** One room's history: its epoch, its last offset and its recent pushes. */
interface History {
  readonly epoch: string;
  offset: number;
  /** Oldest first; at most `size` pushes and `bytes` of text, of the last `windowMs`. */
  readonly pushes: Array<PositionedPush & { readonly at: number }>;
  /** The length of the pushes' texts, together. */
  length: number;
  /** When a push was last added or the room's audience on this node last changed. */
  touched: number;
  /** This node has an audience in the room. */
  heard: boolean;
}

/**
 * Room histories in memory, for the bus that serves one process: each room's pushes get
 * offsets from 1 under a random epoch, and the last `size` of the last `windowMs` are kept,
 * `bytes` of text at most (counted as string lengths).
 * A room's epoch and offset live while it has an audience, and `windowMs` after its last push
 * or audience change, so a session dropped less than `windowMs` ago always finds them; the
 * pushes themselves are bounded by count and age. Everything is gone when the process is.
 */
export class RoomHistory {
  readonly #rooms = new Map<string, History>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(
    private readonly size: number,
    private readonly windowMs: number,
    private readonly bytes: number,
  ) {
    this.#sweeper = setInterval(() => this.sweep(), Math.max(1_000, windowMs / 4));
    this.#sweeper.unref();
  }

  /** Gives a push the room's next position and serialises it (once, position first). */
  append(
    room: string,
    message: Readonly<Record<string, unknown>>,
    except?: string,
    tag?: string,
  ): PositionedPush {
    const now = Date.now();
    const history = this.#history(room, now);
    const offset = ++history.offset;
    const positioned = JSON.stringify({ offset, epoch: history.epoch, ...message });
    const push =
      except === undefined ? { offset, json: positioned } : { offset, json: positioned, except };
    history.pushes.push(tag === undefined ? { ...push, at: now } : { ...push, at: now, tag });
    history.length += positioned.length;
    while (history.pushes.length > this.size || history.length > this.bytes) {
      history.length -= history.pushes.shift()!.json.length;
    }
    history.touched = now;
    return push;
  }

  /** The pushes after `position`, if the history still holds every one of them. */
  read(room: string, position: RoomPosition): HistoryRead {
    const now = Date.now();
    const history = this.#rooms.get(room);
    if (history === undefined || history.epoch !== position.epoch) return { recovered: false };
    if (position.offset > history.offset) return { recovered: false };
    this.#trim(history, now);
    const missed = history.offset - position.offset;
    if (missed > history.pushes.length) return { recovered: false };
    return { recovered: true, pushes: history.pushes.slice(history.pushes.length - missed) };
  }

  /** Whether the room's history holds a push published with `tag`. */
  published(room: string, tag: string): boolean {
    return this.#rooms.get(room)?.pushes.some((push) => push.tag === tag) === true;
  }

  /** This node's audience in the room began (`true`) or ended (`false`). */
  heard(room: string, heard: boolean): void {
    const history = this.#history(room, Date.now());
    history.heard = heard;
  }

  /** The room's current position (a new history starts at offset 0). */
  position(room: string): RoomPosition {
    const history = this.#history(room, Date.now());
    return { epoch: history.epoch, offset: history.offset };
  }

  /** Forgets rooms no one hears that saw nothing for `windowMs`, and pushes older than it. */
  sweep(now = Date.now()): void {
    for (const [room, history] of this.#rooms) {
      this.#trim(history, now);
      if (!history.heard && history.touched < now - this.windowMs) this.#rooms.delete(room);
    }
  }

  /** How many rooms it holds (for tests of its bound). */
  get rooms(): number {
    return this.#rooms.size;
  }

  stop(): void {
    clearInterval(this.#sweeper);
    this.#rooms.clear();
  }

  #history(room: string, now: number): History {
    let history = this.#rooms.get(room);
    if (history === undefined) {
      history = { epoch: newEpoch(), offset: 0, pushes: [], length: 0, touched: now, heard: false };
      this.#rooms.set(room, history);
    }
    history.touched = now;
    return history;
  }

  #trim(history: History, now: number): void {
    const oldest = now - this.windowMs;
    let drop = 0;
    while (drop < history.pushes.length && history.pushes[drop]!.at < oldest) drop++;
    if (drop === 0) return;
    for (const push of history.pushes.splice(0, drop)) history.length -= push.json.length;
  }
}

/** A new history's epoch: 12 random bytes, base64url. */
export function newEpoch(): string {
  return randomBytes(12).toString("base64url");
}
