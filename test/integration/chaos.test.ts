import { expect } from "chai";
import { runChaos } from "../chaos/chaos-run.js";

/**
 * The short form of the chaos run (issue 15; the long form is `node scripts/chaos.mjs`): three
 * demo node processes on a real redis-server behind a round-robin TCP proxy, one client of each
 * kind (ws, socket.io websocket, faye websocket, faye long-polling) chatting with numbered
 * messages and calling incrementTest while every connection is dropped, each node is stopped
 * (SIGTERM) or killed (SIGKILL) and started again, and the network is cut.
 */
describe("Chaos (short form): nothing lost across drops, restarts, a crash and a network cut", function () {
  this.timeout(90_000);

  it("delivers every chat message once and in order, keeps every id, resumes every client recovered, fails no say", async () => {
    const report = await runChaos({
      durationMs: 9_000,
      perKind: 1,
      sayEveryMs: 50,
      incrementEveryMs: 100,
      cutMs: 1_500,
    });
    expect(report.faults).to.have.length(5);
    // Enough traffic for the faults to land on: each client said something before and after.
    expect(report.said).to.be.above(report.clients * 10);
    expect({
      lost: report.lostDetail,
      duplicated: report.duplicated,
      outOfOrder: report.outOfOrder,
      heardSelf: report.heardSelf,
      sayFailures: report.sayFailures,
      idChanged: report.idChanged,
      notRecovered: report.notRecovered,
      neverResumed: report.neverResumed,
      counterErrors: report.counterErrors,
      otherErrors: report.otherErrors,
    }).to.deep.equal({
      lost: [],
      duplicated: 0,
      outOfOrder: 0,
      heardSelf: 0,
      sayFailures: [],
      idChanged: 0,
      notRecovered: [],
      neverResumed: [],
      counterErrors: [],
      otherErrors: [],
    });
    expect(report.delivered).to.equal(report.expected);
    expect(report.increments).to.be.above(report.clients * 10);
  });
});
