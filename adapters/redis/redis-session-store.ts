import { KEEP_ALERT, SAVE_SESSION } from "./redis-script.js";
import type { Redis } from "ioredis";
import type { MessageId } from "../../src/core/inbound-request.js";
import type {
  DeferredGrace,
  RecordedRequest,
  SessionRecord,
  SessionStore,
} from "../../src/core/sessions/session-store.js";

/**
 * Sessions in Redis, shared by every node: a session's record is a string key, its recorded
 * requests a capped list beside it (both named with the session id in a hash tag, so they share
 * one Redis Cluster slot), each expiring `ttlMs` after its last write.
 */
export class RedisSessionStore implements SessionStore {
  readonly durable = true;

  constructor(
    private readonly client: () => Redis | undefined,
    private readonly keyPrefix: string,
    readonly holder: string,
    /** Whether a node incarnation still beats (the bus's heartbeats). */
    readonly alive: (holder: string) => Promise<boolean>,
  ) {}

  async save(record: SessionRecord, ttlMs: number): Promise<void> {
    const id = record.id;
    const keys = [
      this.#key(id),
      this.#key(id, "req"),
      this.#key(id, "aseq"),
      this.#key(id, "alerts"),
    ];
    await SAVE_SESSION.run(this.#ready(), keys, [JSON.stringify(record), ttlMs]);
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    const text = await this.#ready().get(this.#key(id));
    return text === null ? undefined : (JSON.parse(text) as SessionRecord);
  }

  async delete(id: string): Promise<void> {
    await this.#ready().del(
      this.#key(id),
      this.#key(id, "req"),
      this.#key(id, "aseq"),
      this.#key(id, "alerts"),
    );
  }

  async alert(
    id: string,
    alert: Readonly<Record<string, unknown>>,
    max: number,
    ttlMs: number,
  ): Promise<string | undefined> {
    const keys = [this.#key(id), this.#key(id, "aseq"), this.#key(id, "alerts")];
    const json = await KEEP_ALERT.run(this.#ready(), keys, [JSON.stringify(alert), max, ttlMs]);
    return typeof json === "string" ? json : undefined;
  }

  async alerts(id: string, seq: number): Promise<{ last: number; alerts: string[] }> {
    const [[, last], [, all]] = (await this.#ready()
      .multi()
      .get(this.#key(id, "aseq"))
      .lrange(this.#key(id, "alerts"), 0, -1)
      .exec()) as [[unknown, string | null], [unknown, string[]]];
    const alerts = all.filter((json) => seqOf(json) > seq);
    return { last: Number(last ?? 0), alerts };
  }

  async started(id: string, request: MessageId, ttlMs: number): Promise<void> {
    const key = this.#key(id, "req");
    await this.#ready()
      .multi()
      .rpush(key, JSON.stringify({ k: request, h: this.holder }))
      .pexpire(key, ttlMs)
      .exec();
  }

  async replied(
    id: string,
    request: MessageId,
    reply: string,
    max: number,
    ttlMs: number,
  ): Promise<void> {
    const key = this.#key(id, "req");
    // Twice `max` entries: each request may have a start and a reply.
    await this.#ready()
      .multi()
      .rpush(key, JSON.stringify({ k: request, h: this.holder, r: reply }))
      .ltrim(key, -2 * max, -1)
      .pexpire(key, ttlMs)
      .exec();
  }

  async defer(graces: readonly DeferredGrace[]): Promise<void> {
    if (graces.length === 0) return;
    const multi = this.#ready().multi();
    for (const grace of graces) multi.zadd(this.#graces(), grace.until, JSON.stringify(grace));
    await multi.exec();
  }

  async due(now: number, max: number): Promise<DeferredGrace[]> {
    const client = this.#ready();
    const entries = await client.zrangebyscore(this.#graces(), "-inf", now, "LIMIT", 0, max);
    const taken: DeferredGrace[] = [];
    // Whoever removes an entry owns it: each grace ends on one node.
    for (const entry of entries) {
      if (Number(await client.zrem(this.#graces(), entry)) === 1) {
        taken.push(JSON.parse(entry) as DeferredGrace);
      }
    }
    return taken;
  }

  #graces(): string {
    return `${this.keyPrefix}graces`;
  }

  async requests(id: string): Promise<Map<MessageId, RecordedRequest>> {
    const entries = await this.#ready().lrange(this.#key(id, "req"), 0, -1);
    const requests = new Map<MessageId, RecordedRequest>();
    for (const entry of entries) {
      const { k, h, r } = JSON.parse(entry) as { k: MessageId; h: string; r?: string };
      // A reply outranks the start recorded before it.
      if (r !== undefined || !requests.has(k)) requests.set(k, r ?? { holder: h });
    }
    return requests;
  }

  #key(id: string, part?: "req" | "aseq" | "alerts"): string {
    const tagged = `${this.keyPrefix}sess:{${encodeURIComponent(id)}}`;
    return part === undefined ? tagged : `${tagged}:${part}`;
  }

  #ready(): Redis {
    const client = this.client();
    if (client === undefined || client.status !== "ready") {
      throw new Error(`the session store cannot reach Redis (${client?.status ?? "not started"})`);
    }
    return client;
  }
}

/** An alert's number, from its text (`{"seq":n,…}`). */
function seqOf(json: string): number {
  return Number(json.slice(7, json.indexOf(",")));
}
