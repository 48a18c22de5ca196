import { FayeTransport } from "../../adapters/faye/faye-transport.js";
import { SocketIoTransport } from "../../adapters/socketio/socketio-transport.js";
import { TcpTransport } from "../../adapters/tcp/tcp-transport.js";
import { WsTransport } from "../../adapters/ws/ws-transport.js";
import { registerTransport } from "../core/container.js";
import { InProcessTransport } from "../core/in-process-transport.js";

// The built-in adapters register through the same public API a third party uses.
registerTransport("ws", WsTransport);
registerTransport("faye", FayeTransport);
registerTransport("socketio", SocketIoTransport);
registerTransport("tcp", TcpTransport);
registerTransport("inprocess", InProcessTransport);
