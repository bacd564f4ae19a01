// What formatTaskTree shows a task blocked in, for the waits of the network and stream
// layers (each a labelled waitCancellable, counted as blocked for waitAllTasksBlocked and
// MockClock autojump).
import { describe, expect, it } from "vitest";
import {
  createMemoryObjectStream,
  createTcpListener,
  createUdpSocket,
  formatTaskTree,
  fromReadableStream,
  type SocketListener,
  taskGroup,
} from "../../mod.ts";
import { backendTests, waitAllTasksBlocked } from "../../testing.ts";

const test = backendTests(it);

/** The tree once every task is blocked, after `start` started them. */
async function treeOf(start: (startSoon: (name: string, fn: () => unknown) => void) => void): Promise<string> {
  let tree = "";
  await taskGroup(async (tg) => {
    start((name, fn) => tg.startSoon({ name }, fn));
    await waitAllTasksBlocked(); // returns only if every wait counts as blocked
    tree = formatTaskTree();
    tg.cancelScope.cancel();
  });
  return tree;
}

describe("formatTaskTree labels", () => {
  test("memory object streams, web stream adapters", async () => {
    const [send, receive] = createMemoryObjectStream<number>();
    const [fullSend, fullReceive] = createMemoryObjectStream<number>();
    const readable = fromReadableStream(new ReadableStream<number>());
    const tree = await treeOf((startSoon) => {
      startSoon("receiver", () => receive.receive());
      startSoon("sender", () => fullSend.send(1)); // nobody receives: it waits
      startSoon("reader", () => readable.receive());
    });
    expect(tree).toMatch(/task receiver #\d+: blocked in MemoryObjectReceiveStream\.receive/);
    expect(tree).toMatch(/task sender #\d+: blocked in MemoryObjectSendStream\.send/);
    expect(tree).toMatch(/task reader #\d+: blocked in ReadableReceiveStream\.receive/);
    for (const stream of [send, receive, fullSend, fullReceive, readable]) await stream.aclose();
  });

  test("a listener's accept and a UDP socket's receive", async () => {
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    await using udp = await createUdpSocket({ localHost: "127.0.0.1" });
    const tree = await treeOf((startSoon) => {
      startSoon("acceptor", () => (listener.listeners[0] as SocketListener).accept());
      startSoon("datagrams", () => udp.receive());
    });
    expect(tree).toMatch(/task acceptor #\d+: blocked in SocketListener\.accept/);
    expect(tree).toMatch(/task datagrams #\d+: blocked in UDPSocket\.receive/);
  });
});
