import type { MessageInbox } from "../../src/core/message-inbox.js";
import type { Message } from "../../src/testing/contract-client.js";

/** The chat texts of a burst test: `burst <i> …`, each distinct, growing, with non-ASCII text. */
export function burstTexts(count: number, extra: (i: number) => string = () => ""): string[] {
  return Array.from({ length: count }, (_, i) => `burst ${i} ${"é".repeat(i)}${extra(i)}`);
}

/** The burst messages a member heard, in the order it heard them. */
export function heardBurst(inbox: MessageInbox<Message>): unknown[] {
  return inbox.received
    .filter((m) => m.context === "user" && String(m.message).startsWith("burst "))
    .map((m) => m.message);
}
