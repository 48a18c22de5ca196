import { expect } from "chai";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { InProcessTransport } from "../../src/core/in-process-transport.js";
import {
  type ActionEvent,
  actionsObserved,
  CHANNELS,
  type NodeEvent,
} from "../../src/core/instrumentation.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { connected, request, startInProcessServer } from "../helpers/in-process-server.js";

type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS];

/** The events of one node, by channel, while subscribed. */
class Recorder {
  readonly events = new Map<ChannelName, NodeEvent[]>();
  readonly #listeners = new Map<ChannelName, (message: unknown) => void>();

  constructor(readonly nodeId: string) {
    for (const name of Object.values(CHANNELS)) {
      const listener = (message: unknown) => {
        const event = message as NodeEvent;
        if (event.nodeId !== nodeId) return;
        // The action end event is the start event's object, filled in: keep what it was.
        this.of(name).push({ ...event });
      };
      this.#listeners.set(name, listener);
      subscribe(name, listener);
    }
  }

  of<T extends NodeEvent = NodeEvent & Record<string, unknown>>(name: ChannelName): T[] {
    let list = this.events.get(name);
    if (list === undefined) this.events.set(name, (list = []));
    return list as T[];
  }

  close(): void {
    for (const [name, listener] of this.#listeners) unsubscribe(name, listener);
  }
}

/** The in-process transport, with a switch that makes every client's backlog look full. */
class StallingTransport extends InProcessTransport {
  static full = false;
  override readonly name: string = "stalling";
  protected override backlog(): { bytes: number; messages: number } {
    return StallingTransport.full
      ? { bytes: Number.MAX_SAFE_INTEGER, messages: 0 }
      : { bytes: 0, messages: 0 };
  }
}

describe("diagnostics_channel events", () => {
  let server: ActionwireServer;
  let recorder: Recorder;

  afterEach(async () => {
    recorder?.close();
    StallingTransport.full = false;
    await server?.stop();
  });

  it("names every channel under actionwire: and observes nothing while no one listens", () => {
    expect(Object.values(CHANNELS).every((name) => name.startsWith("actionwire:"))).to.equal(true);
    expect(CHANNELS.resume).to.equal("actionwire:resume");
    expect(actionsObserved()).to.equal(false);
  });

  it("reports connections, frames, actions (outcome, code, duration), errors and room messages", async () => {
    recorder = new Recorder("diag-a");
    ({ server } = await startInProcessServer({ nodeId: "diag-a" }));
    const transport = server.transport<InProcessTransport>("inprocess");
    const alice = await connected(() => transport.connect());
    const bob = await connected(() => transport.connect());
    const aliceId = (await request(alice, "detailsView")).data as { id: string };

    expect((await request(alice, "action", { action: "echo", a: 1 })).echo).to.deep.equal({ a: 1 });
    expect((await request(alice, "action", { action: "failTest" })).code).to.equal(
      "ERR_ACTION_FAILED",
    );
    expect((await request(alice, "action", { action: "validateTest", n: 99 })).code).to.equal(
      "ERR_INVALID_PARAM",
    );
    expect((await request(alice, "action", { action: "no-such-action" })).code).to.equal(
      "ERR_UNKNOWN_ACTION",
    );
    await request(alice, "say", { message: "hello" });
    await bob.next((m) => m.context === "user" && m.message === "hello");
    alice.close();

    const opened = recorder.of(CHANNELS.connectionOpen);
    expect(opened.map((e) => e.transport)).to.deep.equal(["inprocess", "inprocess"]);
    expect(opened[0]!.connectionId).to.equal(aliceId.id);
    const closed = recorder.of(CHANNELS.connectionClose);
    expect(closed.map((e) => e.connectionId)).to.deep.equal([aliceId.id]);

    // A known action starts and ends; an unknown one is not an action (its name is the client's).
    const ends = recorder.of<ActionEvent>(CHANNELS.actionEnd);
    expect(ends.map(({ action, outcome, code }) => ({ action, outcome, code }))).to.deep.equal([
      { action: "echo", outcome: "ok", code: undefined },
      { action: "failTest", outcome: "error", code: "ERR_ACTION_FAILED" },
      { action: "validateTest", outcome: "error", code: "ERR_INVALID_PARAM" },
    ]);
    expect(ends.every((e) => typeof e.durationMs === "number" && e.durationMs >= 0)).to.equal(true);
    expect(recorder.of(CHANNELS.actionStart).map((e) => e.action)).to.deep.equal([
      "echo",
      "failTest",
      "validateTest",
    ]);
    expect(recorder.of(CHANNELS.error).map((e) => e.code)).to.deep.equal([
      "ERR_ACTION_FAILED",
      "ERR_INVALID_PARAM",
      "ERR_UNKNOWN_ACTION",
    ]);
    // detailsView, 4 actions, say: six frames from alice.
    const received = recorder.of(CHANNELS.messageReceived);
    expect(received.reduce((sum, e) => sum + (e.count as number), 0)).to.equal(6);
    const sent = recorder.of(CHANNELS.messageSent);
    expect(sent.every((e) => e.transport === "inprocess")).to.equal(true);
    // Two welcomes, six replies, bob's copy of alice's entry and of her "hello" at least.
    expect(sent.reduce((sum, e) => sum + (e.count as number), 0)).to.be.at.least(10);
    const rooms = recorder.of(CHANNELS.roomMessage);
    expect(rooms.some((e) => e.room === "defaultRoom" && e.from === aliceId.id)).to.equal(true);
  });

  it("reports a push dropped for a full backlog, with the policy", async () => {
    recorder = new Recorder("diag-b");
    ({ server } = await startInProcessServer({
      nodeId: "diag-b",
      transports: ["inprocess", StallingTransport],
      limits: { slowConsumer: "drop" },
    }));
    const stalled = await connected(() =>
      server.transport<StallingTransport>("stalling").connect(),
    );
    const sender = await connected(() =>
      server.transport<InProcessTransport>("inprocess").connect(),
    );
    const stalledId = ((await request(stalled, "detailsView")).data as { id: string }).id;
    StallingTransport.full = true;
    await request(sender, "say", { message: "into the void" });
    expect(recorder.of(CHANNELS.slowConsumer)).to.deep.equal([
      { nodeId: "diag-b", connectionId: stalledId, transport: "stalling", policy: "drop" },
    ]);
  });
});
