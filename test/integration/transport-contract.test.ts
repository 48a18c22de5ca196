import { describeTransportContract } from "../../src/testing/transport-contract.js";
import { fayeContract } from "../helpers/faye-contract-client.js";
import { socketIoContract } from "../helpers/socketio-contract-client.js";
import { tcpContract } from "../helpers/tcp-test-client.js";
import { wsContract } from "../helpers/ws-contract-client.js";

// One suite, every kind of client: a transport is done when its suite passes.
describeTransportContract(wsContract());
describeTransportContract(socketIoContract("websocket"));
describeTransportContract(socketIoContract("polling"));
describeTransportContract(fayeContract("websocket"));
describeTransportContract(fayeContract("long-polling"));
describeTransportContract(tcpContract());
// Connections that do not come from 127.0.0.1 (as over a Unix socket): the suite takes the
// address the transport declares.
describeTransportContract(tcpContract("::1"));
