// A third-party adapter's own test: the whole protocol contract, in one call.
import { describeTransportContract } from "actionwire/testing";
import { sseContract } from "./sse-contract-client.js";

describeTransportContract(sseContract());
