import { expect } from "chai";
import type { Message } from "faye";
import {
  incomingVerdict,
  outgoingEvent,
  subscribeFirst,
} from "../../../../adapters/faye/faye-channel-ownership.js";

const ID = "lfuc6abc";
const OWN_OUT = `/actionwire/out/${ID}`;
const OWN_IN = `/actionwire/in/${ID}`;
const OTHER = "zz9other";

const forbidden = (channel: string) => ({
  kind: "refuse",
  error: `403:${channel}:Forbidden channel`,
});
const subscribe = (subscription: unknown): Message =>
  ({ channel: "/meta/subscribe", clientId: ID, subscription }) as Message;
const publish = (channel: string, clientId: unknown = ID): Message =>
  ({ channel, clientId, data: { event: "roomView" } }) as Message;

describe("faye channel ownership: what a client sends", () => {
  it("allows a subscribe to exactly its own out channel, alone or as a list of it", () => {
    expect(incomingVerdict(subscribe(OWN_OUT), true)).to.deep.equal({ kind: "pass" });
    expect(incomingVerdict(subscribe([OWN_OUT]), true)).to.deep.equal({ kind: "pass" });
    expect(incomingVerdict(subscribe([OWN_OUT, OWN_OUT]), true)).to.deep.equal({ kind: "pass" });
  });

  it("refuses every other subscribe, naming what was asked", () => {
    for (const channel of [
      `/actionwire/out/${OTHER}`,
      "/actionwire/out/*",
      "/actionwire/**",
      "/**",
      OWN_IN,
      "/chat",
    ]) {
      expect(incomingVerdict(subscribe(channel), true), channel).to.deep.equal(forbidden(channel));
    }
    expect(incomingVerdict(subscribe([OWN_OUT, "/chat"]), true)).to.deep.equal(
      forbidden(`${OWN_OUT},/chat`),
    );
    expect(incomingVerdict(subscribe([]), true)).to.deep.equal(forbidden(""));
    const anonymous = { channel: "/meta/subscribe", subscription: OWN_OUT } as Message;
    expect(incomingVerdict(anonymous, true)).to.deep.equal(forbidden(OWN_OUT));
    const empty = { channel: "/meta/subscribe", clientId: "", subscription: "/actionwire/out/" };
    expect(incomingVerdict(empty as Message, true)).to.deep.equal(forbidden("/actionwire/out/"));
  });

  it("reads a publish to its own in channel as a request, and refuses every other publish", () => {
    expect(incomingVerdict(publish(OWN_IN), true)).to.deep.equal({ kind: "request", clientId: ID });
    for (const channel of [
      `/actionwire/in/${OTHER}`,
      OWN_OUT,
      "/chat",
      "/service/echo",
      "/actionwire",
    ]) {
      expect(incomingVerdict(publish(channel), true), channel).to.deep.equal(forbidden(channel));
    }
    const anonymous = { channel: OWN_IN, data: { event: "roomView" } } as Message;
    expect(incomingVerdict(anonymous, true)).to.deep.equal(forbidden(OWN_IN));
    expect(incomingVerdict(publish(OWN_IN, 7), true)).to.deep.equal(forbidden(OWN_IN));
  });

  it("refuses anything that came with no HTTP request (an in-process client)", () => {
    expect(incomingVerdict(publish(OWN_IN), false)).to.deep.equal(forbidden(OWN_IN));
    expect(incomingVerdict(subscribe(OWN_OUT), false)).to.deep.equal(forbidden("/meta/subscribe"));
  });

  it("leaves the other /meta channels and non-objects to faye, and names a polling client", () => {
    const meta = (channel: string, clientId?: string) => ({ channel, clientId }) as Message;
    expect(incomingVerdict(meta("/meta/handshake"), true)).to.deep.equal({ kind: "handshake" });
    expect(incomingVerdict(meta("/meta/connect", ID), true)).to.deep.equal({
      kind: "connect",
      clientId: ID,
    });
    expect(incomingVerdict(meta("/meta/connect"), true)).to.deep.equal({ kind: "pass" });
    for (const channel of ["/meta/unsubscribe", "/meta/disconnect", "/meta/other"]) {
      expect(incomingVerdict(meta(channel, ID), true), channel).to.deep.equal({ kind: "pass" });
    }
    expect(incomingVerdict(1 as unknown as Message, true)).to.deep.equal({ kind: "pass" });
    expect(incomingVerdict(null as unknown as Message, false)).to.deep.equal({ kind: "pass" });
  });

  it("words the refusal of a request before the subscription", () => {
    expect(subscribeFirst(ID)).to.equal(`403:${OWN_IN}:Subscribe to your out channel first`);
  });
});

describe("faye channel ownership: what faye sends a client", () => {
  const confirmed = (channel: string, subscription: unknown, clientId = ID): Message =>
    ({ channel, clientId, subscription, successful: true }) as Message;

  it("reads a confirmed (un)subscription of the client's own out channel", () => {
    expect(outgoingEvent(confirmed("/meta/subscribe", OWN_OUT))).to.deep.equal({
      kind: "subscribed",
      clientId: ID,
    });
    expect(outgoingEvent(confirmed("/meta/subscribe", [OWN_OUT]))).to.deep.equal({
      kind: "subscribed",
      clientId: ID,
    });
    expect(outgoingEvent(confirmed("/meta/unsubscribe", OWN_OUT))).to.deep.equal({
      kind: "unsubscribed",
      clientId: ID,
    });
  });

  it("ignores failed ones, other channels and other clients' channels", () => {
    const failed = { ...confirmed("/meta/subscribe", OWN_OUT), successful: false };
    expect(outgoingEvent(failed)).to.equal(undefined);
    expect(outgoingEvent(confirmed("/meta/subscribe", "/chat"))).to.equal(undefined);
    expect(outgoingEvent(confirmed("/meta/subscribe", OWN_OUT, OTHER))).to.equal(undefined);
    expect(outgoingEvent(confirmed("/meta/connect", OWN_OUT))).to.equal(undefined);
    expect(outgoingEvent({ channel: OWN_IN, successful: true } as Message)).to.equal(undefined);
  });

  it("reads a delivery on an out channel, and only one that carries data", () => {
    const delivery = { channel: OWN_OUT, data: { context: "api" } } as Message;
    expect(outgoingEvent(delivery)).to.deep.equal({ kind: "delivered", clientId: ID });
    expect(outgoingEvent({ channel: OWN_OUT, successful: true } as Message)).to.equal(undefined);
  });
});
