import { expect } from "chai";
import { registerTransport } from "../../../src/core/container.js";
import { InProcessTransport } from "../../../src/core/in-process-transport.js";
import { createServer } from "../../../src/server/actionwire-server.js";
import { request } from "../../helpers/in-process-server.js";

class LoopbackTransport extends InProcessTransport {
  override readonly name: string = "loopback";
}

describe("choosing transports", () => {
  it("picks a registered transport by name, and reports it on the connection", async () => {
    registerTransport("loopback", LoopbackTransport);
    const server = await createServer({ transports: ["loopback"], port: null }).start();
    const client = server.transport<LoopbackTransport>("loopback").connect();
    const details = (await request(client, "detailsView")).data as { transport: string };
    expect(details.transport).to.equal("loopback");
    expect(server.connectionCounts()).to.deep.equal({ loopback: 1 });
    await server.stop();
  });

  it("takes a class in config instead of a name", async () => {
    const server = await createServer({ transports: [LoopbackTransport], port: null }).start();
    expect(server.transports.map((t) => t.name)).to.deep.equal(["loopback"]);
    await server.stop();
  });

  it("gives each server its own container and state", async () => {
    const a = await createServer({ transports: ["inprocess"], port: null }).start();
    const b = await createServer({ transports: ["inprocess"], port: null }).start();
    expect(a.container).not.to.equal(b.container);
    a.transport<InProcessTransport>("inprocess").connect();
    expect(a.connectionCount).to.equal(1);
    expect(b.connectionCount).to.equal(0);
    await a.stop();
    await b.stop();
  });

  it("gives a second stop() the stop already under way", async () => {
    const server = await createServer({ transports: ["inprocess"], port: null }).start();
    const first = server.stop();
    expect(server.stop()).to.equal(first);
    await first;
  });

  it("refuses a transport name that is not lowercase", () => {
    expect(() => registerTransport("Bad Name", LoopbackTransport)).to.throw(
      /A transport name is lowercase letters/,
    );
  });
});
