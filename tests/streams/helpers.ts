// Helpers of the stream tests: synchronise tasks with checkpoints, never with sleeps.
import {
  attributeMap,
  createMemoryObjectStream,
  type MemoryObjectReceiveStream,
  type MemoryObjectSendStream,
  ObjectStreamBase,
  SocketAttribute,
  type TypedAttributeMap,
} from "../../mod.ts";

export { settle, until } from "../helpers.ts";

/** Runs `fn` and returns what it threw (fails if it did not throw). */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, none was thrown");
}

export const encoder = new TextEncoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/**
 * An object stream over two memory streams (what is sent comes back) that answers
 * SocketAttribute.localPort and .remotePort, to check that wrappers forward attributes.
 */
export class LoopbackWithAttributes<T> extends ObjectStreamBase<T> {
  readonly sendSide: MemoryObjectSendStream<T>;
  readonly receiveSide: MemoryObjectReceiveStream<T>;
  eofSent = false;
  closed = false;
  constructor(bufferSize = 16) {
    super();
    [this.sendSide, this.receiveSide] = createMemoryObjectStream<T>(bufferSize);
  }
  receive(): Promise<T> {
    return this.receiveSide.receive();
  }
  send(item: T): Promise<void> {
    return this.sendSide.send(item);
  }
  async sendEof(): Promise<void> {
    this.eofSent = true;
    this.sendSide.close();
  }
  async aclose(): Promise<void> {
    this.closed = true;
    this.sendSide.close();
    this.receiveSide.close();
  }
  override get extraAttributes(): TypedAttributeMap {
    return attributeMap([
      [SocketAttribute.localPort, () => 1111],
      [SocketAttribute.remotePort, () => 2222],
    ]);
  }
}
