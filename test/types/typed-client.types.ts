/**
 * Type tests of the typed client (issue 17): compiled by `npm run compile` (part of `npm test`),
 * never run. Each `@ts-expect-error` line must fail to compile; its twin on the untyped client
 * compiles, so the error comes from the types inferred from the server, not from the call.
 */
import { expectTypeOf } from "expect-type";
import { createServer, defineAction, type ErrorCode } from "../../src/index.js";
import {
  type ActionwireClient,
  type ActionsOf,
  type AlertPush,
  type ChatPush,
  type ClientErrorCode,
  type ConnectionDetails,
  createClient,
  type GoodbyePush,
  RequestError,
  type WelcomePush,
  type WelcomeSession,
} from "../../src/client/index.js";
import { ActionwireClient as BrowserClient } from "../../src/client/browser.js";
import type { GoodbyeReason } from "../../src/core/connection-table.js";

const add = defineAction({
  name: "add",
  inputs: {
    a: { required: true, formatter: Number },
    b: { default: 1, formatter: Number },
    note: { formatter: String },
    raw: {},
  },
  run: ({ a, b }) => ({ sum: a + b }),
});
const lookup = defineAction({
  name: "lookup",
  inputs: { key: { required: true, formatter: String }, fallback: { required: true, default: "" } },
  run: async ({ key }) => ({ key, found: key.length > 0, at: new Date(0).getTime() }),
});
const echo = defineAction({
  name: "echo",
  acceptUndeclaredParams: true,
  run: (params) => ({ echo: params }),
});
const ping = defineAction({ name: "ping", run: () => undefined });
const parse = defineAction({
  name: "parse",
  inputs: { json: { required: true, formatter: (raw: unknown) => JSON.parse(String(raw)) } },
  run: ({ json }) => ({ parsed: json as unknown }),
});

const actions = [add, lookup, echo, ping, parse];
export const server = createServer({ port: 0, actions });

const options = { url: "http://127.0.0.1:8080" };

export function fromTheServer(): void {
  const client = createClient<typeof server>(options);
  expectTypeOf(client).toEqualTypeOf<ActionwireClient<typeof server>>();

  // Names.
  expectTypeOf(client.action<"add">)
    .parameter(0)
    .toEqualTypeOf<"add">();
  // @ts-expect-error not an action of the server
  void client.action("sub", { a: 1 });

  // Inputs: required, optional, typed after their formatter or default.
  expectTypeOf(client.action("add", { a: 2, b: 3 })).resolves.toHaveProperty("sum");
  void client.action("add", { a: 2 });
  void client.action("add", { a: 2, note: "n", raw: { any: "thing" } });
  // @ts-expect-error a is required (no default)
  void client.action("add", { b: 3 });
  // @ts-expect-error a is required, so the params cannot be left out
  void client.action("add");
  // @ts-expect-error a is a number after its formatter
  void client.action("add", { a: "2" });
  // @ts-expect-error b's default is a number
  void client.action("add", { a: 2, b: true });
  // @ts-expect-error c is not an input of add
  void client.action("add", { a: 2, c: 1 });
  // A required input with a default may be left out; the types follow formatter and default.
  void client.action("lookup", { key: "k" });
  // @ts-expect-error fallback's default is a string
  void client.action("lookup", { key: "k", fallback: 1 });
  // A formatter that returns any takes any value, but the key is still required.
  void client.action("parse", { json: "{}" });
  // @ts-expect-error json is required
  void client.action("parse", {});
  // No inputs: params may be left out; a callback may come second.
  void client.action("ping");
  void client.action("ping", (error, reply) => {
    expectTypeOf(error).toEqualTypeOf<string | null>();
    expectTypeOf(reply.messageCount).toEqualTypeOf<number>();
  });
  // @ts-expect-error ping declares no input
  void client.action("ping", { x: 1 });
  // acceptUndeclaredParams: anything goes.
  void client.action("echo", { hi: 1, there: [true] });

  // Results.
  expectTypeOf(client.action("add", { a: 1 })).resolves.toMatchTypeOf<{
    sum: number;
    context: "response";
    messageCount: number;
  }>();
  expectTypeOf(client.action("lookup", { key: "k" })).resolves.toMatchTypeOf<{
    key: string;
    found: boolean;
    at: number;
  }>();
  void client.action("add", { a: 1 }).then((reply) => {
    const sum: number = reply.sum;
    // @ts-expect-error add returns no product
    const product: number = reply.product;
    return [sum, product];
  });
  void client.action("add", { a: 1 }, (_error, reply) => {
    expectTypeOf(reply.sum).toEqualTypeOf<number>();
  });
  void client.action("ping").then((reply) => {
    // @ts-expect-error ping returns nothing
    return reply.anything;
  });
}

export function fromOtherSources(): void {
  // An array of actions, one action, a record of actions, the config: the same actions.
  expectTypeOf<ActionsOf<typeof actions>>().toEqualTypeOf<ActionsOf<typeof server>>();
  expectTypeOf<ActionsOf<typeof add>>().toEqualTypeOf<typeof add>();
  expectTypeOf<
    ActionsOf<{ add: typeof add; ping: typeof ping; notAnAction: number }>
  >().toEqualTypeOf<typeof add | typeof ping>();
  expectTypeOf<ActionsOf<{ actions: typeof actions }>>().toEqualTypeOf<ActionsOf<typeof server>>();
  const byArray = createClient<typeof actions>(options);
  expectTypeOf(byArray.action("add", { a: 1 })).resolves.toHaveProperty("sum");
  // The same client types in the browser build.
  const inPage = new BrowserClient<typeof server>();
  expectTypeOf(inPage.action("add", { a: 1 })).resolves.toHaveProperty("sum");
  // @ts-expect-error not an action of the server (browser build)
  void inPage.action("sub");
}

export function untyped(): void {
  // Without types, every call above compiles and replies are loose.
  const client = createClient(options);
  void client.action("sub", { a: 1 });
  void client.action("add", { b: 3 });
  void client.action("add");
  void client.action("add", { a: "2" });
  void client.action("add", { a: 2, b: true });
  void client.action("add", { a: 2, c: 1 });
  void client.action("lookup", { key: "k", fallback: 1 });
  void client.action("parse", {});
  void client.action("ping", { x: 1 });
  void client.action("add", { a: 1 }, (_error, reply) => {
    expectTypeOf(reply.sum).toEqualTypeOf<unknown>();
  });
  void client.action("add", { a: 1 }).then((reply) => {
    expectTypeOf(reply.product).toEqualTypeOf<unknown>();
    return reply.anything;
  });
  void new BrowserClient().action("sub");
}

export function verbsAndPushes(client: ActionwireClient<typeof server>): void {
  expectTypeOf(client.connect()).resolves.toEqualTypeOf<ConnectionDetails>();
  expectTypeOf(client.connect()).resolves.toHaveProperty("room").toEqualTypeOf<string | null>();
  expectTypeOf(client.roomView()).resolves.toHaveProperty("data").toEqualTypeOf<{
    room: string;
    members: string[];
    membersCount: number;
  }>();
  expectTypeOf(client.roomChange("lobby")).resolves.toHaveProperty("data").toEqualTypeOf<{
    room: string;
    position?: { epoch: string; offset: number };
  }>();
  expectTypeOf(client.detailsView())
    .resolves.toHaveProperty("data")
    .toEqualTypeOf<ConnectionDetails>();
  expectTypeOf(client.say("hi")).resolves.toHaveProperty("status").toEqualTypeOf<"OK">();

  client.on("say", (push) => {
    expectTypeOf(push).toEqualTypeOf<ChatPush>();
    const text: string = push.message;
    const room: string = push.room;
    const from: string = push.from;
    const sentAt: number = push.sentAt;
    return [text, room, from, sentAt];
  });
  client.on("alert", (push) => {
    expectTypeOf(push).toEqualTypeOf<AlertPush>();
    expectTypeOf(push.message).toEqualTypeOf<string>();
  });
  client.on("welcome", (push) => {
    expectTypeOf(push).toEqualTypeOf<WelcomePush>();
    expectTypeOf(push.room).toEqualTypeOf<string | null>();
    expectTypeOf(push.session).toEqualTypeOf<WelcomeSession | undefined>();
  });
  client.on("goodbye", (push) => {
    expectTypeOf(push).toEqualTypeOf<GoodbyePush>();
    expectTypeOf(push.reason).toEqualTypeOf<GoodbyeReason>();
  });
  client.on("connected", (details) => expectTypeOf(details).toEqualTypeOf<ConnectionDetails>());
  // @ts-expect-error a chat push has no reason
  client.on("say", (push) => push.reason);
  // @ts-expect-error not an event of the client
  client.on("sayy", () => undefined);
}

export function errorCodes(error: unknown): void {
  if (!(error instanceof RequestError)) return;
  expectTypeOf(error.code).toEqualTypeOf<ClientErrorCode | ErrorCode>();
  expectTypeOf<"ERR_TIMEOUT">().toMatchTypeOf<typeof error.code>();
  expectTypeOf<"ERR_UNKNOWN_ACTION">().toMatchTypeOf<typeof error.code>();
  if (error.code === "ERR_NOT_AUTHORIZED" || error.code === "ERR_CONNECT_FAILED") return;
  // @ts-expect-error no such code
  if (error.code === "ERR_NOT_A_CODE") return;
}

export function untypedErrorCodes(error: { code: string }): void {
  // The twin of the case above: a plain string code compares with anything.
  if (error.code === "ERR_NOT_A_CODE") return;
}
