import type { MessageId } from "../inbound-request.js";
import type {
  DeferredGrace,
  RecordedRequest,
  SessionRecord,
  SessionStore,
} from "./session-store.js";

/** How often expired sessions are looked for, in ms. */
const SWEEP_MS = 1_000;

/**
 * One session: its record's fields (copied in, so that no record object is kept beside the
 * entry), and what it recorded (made when it first records something).
 */
class Entry {
  id: string;
  tokenHash!: string;
  identity!: string;
  room!: string | null;
  listening!: readonly string[];
  params!: Readonly<Record<string, unknown>>;
  data!: Readonly<Record<string, unknown>>;
  holder!: string | undefined;
  attachment!: number;
  left!: boolean;
  /** Its recorded requests; `undefined` while it has none (most sessions never do). */
  requests: Map<MessageId, RecordedRequest> | undefined = undefined;
  /** Its last alerts, oldest first; `undefined` while it has none. */
  alerts: Array<{ readonly seq: number; readonly json: string }> | undefined = undefined;
  /** The number of its last alert. */
  seq = 0;

  constructor(
    record: SessionRecord,
    /** When it expires, in ms since the store's {@link MemorySessionStore.base} (a small integer). */
    public expiresAt: number,
  ) {
    this.id = record.id;
    this.write(record);
  }

  /** Takes a newer record's fields. */
  write(record: SessionRecord): void {
    this.tokenHash = record.tokenHash;
    this.identity = record.identity;
    this.room = record.room;
    this.listening = record.listening;
    this.params = record.params;
    this.data = record.data;
    this.holder = record.holder;
    this.attachment = record.attachment;
    this.left = record.left;
  }

  /** A copy of its record (later writes do not change what a caller holds). */
  record(): SessionRecord {
    return {
      id: this.id,
      tokenHash: this.tokenHash,
      identity: this.identity,
      room: this.room,
      listening: this.listening,
      params: this.params,
      data: this.data,
      holder: this.holder,
      attachment: this.attachment,
      left: this.left,
    };
  }
}

/**
 * Sessions in this process's memory, for a node that runs alone: a session lives until it
 * expires (`ttlMs` after its last write) or is deleted, and is gone with the process. It keeps
 * `max` sessions at most: past it, the one written longest ago is forgotten.
 */
export class MemorySessionStore implements SessionStore {
  readonly holder = "local";
  readonly durable = false;
  /** In the order they were last written (a Map iterates in insertion order). */
  readonly #entries = new Map<string, Entry>();

  /** Forgets expired sessions, oldest written first (one timer for all of them). */
  #sweeper: NodeJS.Timeout | undefined;
  /**
   * What expiry times count from, in ms since the epoch: counted from here they stay small
   * integers, which V8 keeps in the entry itself (a time since 1970 takes a heap number each).
   */
  readonly #base = Date.now();

  constructor(private readonly max = 100_000) {}

  async save(
    record: SessionRecord,
    ttlMs: number,
    requests?: Map<MessageId, RecordedRequest>,
  ): Promise<void> {
    const entry = this.#entries.get(record.id);
    if (entry === undefined) {
      if (this.#entries.size >= this.max) {
        const oldest = this.#entries.keys().next().value!;
        void this.delete(oldest);
      }
      const created = new Entry(record, this.#now() + ttlMs);
      if (requests !== undefined) created.requests = requests;
      this.#entries.set(record.id, created);
      this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_MS).unref();
      return;
    }
    // The session's own map, taken as it is: its socket is gone, and a request still running
    // records its reply there.
    if (requests !== undefined) entry.requests = requests;
    entry.write(record);
    entry.expiresAt = this.#now() + ttlMs;
    this.#entries.delete(record.id);
    this.#entries.set(record.id, entry);
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    return this.#live(id)?.record();
  }

  async delete(id: string): Promise<void> {
    this.#entries.delete(id);
  }

  async started(): Promise<void> {
    // Only a store that outlives the node marks requests: here, a session never outlives the
    // node that ran its requests.
  }

  async replied(id: string, request: MessageId, reply: string, max: number): Promise<void> {
    const entry = this.#live(id);
    if (entry === undefined) return;
    const requests = (entry.requests ??= new Map());
    requests.delete(request);
    requests.set(request, reply);
    // A Map iterates in insertion order: the first key is the oldest.
    while (requests.size > max) requests.delete(requests.keys().next().value!);
  }

  async requests(id: string): Promise<Map<MessageId, RecordedRequest>> {
    return new Map(this.#live(id)?.requests ?? []);
  }

  async defer(): Promise<void> {
    // Its sessions end with this node: no other node could announce them.
  }

  async due(): Promise<DeferredGrace[]> {
    return [];
  }

  async alive(holder: string): Promise<boolean> {
    return holder === this.holder;
  }

  async alert(
    id: string,
    alert: Readonly<Record<string, unknown>>,
    max: number,
  ): Promise<string | undefined> {
    const entry = this.#live(id);
    if (entry === undefined) return undefined;
    const seq = ++entry.seq;
    const json = JSON.stringify({ seq, ...alert });
    const alerts = (entry.alerts ??= []);
    alerts.push({ seq, json });
    if (alerts.length > max) alerts.shift();
    return json;
  }

  async alerts(id: string, seq: number): Promise<{ last: number; alerts: string[] }> {
    const entry = this.#live(id);
    if (entry === undefined) return { last: 0, alerts: [] };
    const alerts = (entry.alerts ?? [])
      .filter((alert) => alert.seq > seq)
      .map((alert) => alert.json);
    return { last: entry.seq, alerts };
  }

  /** Sessions held (for tests of the bound). */
  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every session (the server stops). */
  clear(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#entries.clear();
  }

  /** A session that has not expired (one that has is forgotten now). */
  #live(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.expiresAt > this.#now()) return entry;
    this.#entries.delete(id);
    return undefined;
  }

  /** Now, in ms since {@link #base}. */
  #now(): number {
    return Date.now() - this.#base;
  }

  /** Drops expired sessions from the oldest written on, up to the first one still alive. */
  #sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt > now) return;
      this.#entries.delete(id);
    }
  }
}
