#!/usr/bin/env node
// The many-connections client of the HTTP benchmark (http.bench.ts), a Node process of its
// own so that it shares nothing with the server it measures:
//
//   node scripts/bench/http-idle-client.mjs --port P [--count 10000] [--window 200]
//
// Opens `count` keep-alive connections to 127.0.0.1:P, at most `window` of them not yet
// answered at any time (so that the listen backlog never overflows and SYN retries do not
// dominate the time), sends each one `GET /` and waits for its whole response. When every
// connection is open and answered it prints `OPEN <ms> <answered> <failed>`, then holds
// them idle until stdin ends, prints `CLOSED <closed by the server meanwhile>` and exits.

import * as net from "node:net";

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const port = option("--port", NaN);
const count = option("--count", 10_000);
const windowSize = option("--window", 200);
if (!Number.isInteger(port)) {
  console.error("http-idle-client: --port is required");
  process.exit(2);
}

const request = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
const sockets = [];
let started = 0;
let answered = 0;
let failed = 0;
let closedByServer = 0;
let reported = false;
const t0 = performance.now();

/** Whether `text` holds a whole response (head and Content-Length body). */
function complete(text) {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end + 2));
  return text.length >= end + 4 + (length ? Number(length[1]) : 0);
}

function settle() {
  if (answered + failed === count) {
    if (!reported) {
      reported = true;
      process.stdout.write(`OPEN ${(performance.now() - t0).toFixed(1)} ${answered} ${failed}\n`);
    }
  } else if (started < count) {
    openOne();
  }
}

function openOne() {
  started++;
  const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
  sockets.push(socket);
  let text = "";
  let done = false;
  socket.once("connect", () => socket.write(request));
  socket.on("data", (chunk) => {
    if (done) return;
    text += chunk.toString("latin1");
    if (complete(text)) {
      done = true;
      answered++;
      settle();
    }
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    if (!done) {
      done = true;
      failed++;
      settle();
    } else if (!shuttingDown) {
      closedByServer++;
    }
  });
}

let shuttingDown = false;
process.stdin.resume();
process.stdin.on("end", () => {
  shuttingDown = true;
  process.stdout.write(`CLOSED ${closedByServer}\n`);
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});

for (let i = 0; i < Math.min(windowSize, count); i++) openOne();
