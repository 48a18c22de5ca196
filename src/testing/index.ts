/**
 * `actionwire/testing`: the protocol contract suite, for adapters. A transport is done when the
 * suite passes against a client of it:
 *
 * ```ts
 * import { describeTransportContract } from "actionwire/testing";
 * describeTransportContract(myTransportContract());
 * ```
 *
 * Runs under mocha (it calls `describe`/`it`) with chai installed.
 *
 * @module actionwire/testing
 */
export { describeTransportContract } from "./transport-contract.js";
export type { ContractClient, ContractTransport, Message } from "./contract-client.js";
export { startDemoServer } from "./demo-server.js";
export { MessageInbox } from "../core/message-inbox.js";
