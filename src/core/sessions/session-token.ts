import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A new resume token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What a session keeps of its token: its SHA-256, base64url. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** Whether `token` is the one whose hash is `hash`, compared in constant time. */
export function tokenMatches(token: string, hash: string): boolean {
  const given = Buffer.from(hashToken(token));
  const kept = Buffer.from(hash);
  return given.length === kept.length && timingSafeEqual(given, kept);
}

/**
 * An identity (what `authenticate` returned) as text that does not depend on key order, so a
 * resume can tell the same identity from another.
 */
export function identityOf(verdict: unknown): string {
  // The usual verdict (no hook, or one that accepts): one shared text, not one per session.
  if (verdict === true) return "true";
  return JSON.stringify(verdict, (_key, value: unknown) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value,
  );
}
