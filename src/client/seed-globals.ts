/**
 * The seeds' page script, served at `/public/javascript/actionHeroWebSocket.js`: it defines the
 * globals `actionHeroWebSocket` (seed 000) and `AHsocket` (seed 001).
 */
import { ActionHeroWebSocket } from "./action-hero-web-socket.js";
import { AHsocket } from "./ah-socket.js";

Object.assign(globalThis, { actionHeroWebSocket: ActionHeroWebSocket, AHsocket });
