/**
 * Happy eyeballs (RFC 8305): connection attempts to several addresses of one host,
 * staggered, the first to connect winning. Structured: every attempt is a task of a task
 * group inside the call, so none outlives it.
 *
 * @module
 */
import type { RawSocket } from "../backend/index.ts";
import { currentScope } from "../core/cancel-scope.ts";
import { Cancelled, ConnectionFailed } from "../core/errors.ts";
import { taskGroup } from "../core/task-group.ts";
import { moveOnAfter } from "../core/timeouts.ts";
import { Event } from "../sync/event.ts";
import { openCancellable } from "./open.ts";

/** An address to try. */
export interface ConnectTarget {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * @ignore Orders the resolver's addresses for connection attempts as RFC 8305 section 4
 * says: the resolver's first address first (its preference, RFC 6724), then the families
 * alternate, each family keeping the resolver's order. For `[v6a, v6b, v4a, v4b]` that is
 * `[v6a, v4a, v6b, v4b]`. AnyIO does the same for the first two addresses.
 */
export function interleaveFamilies<T extends ConnectTarget>(addresses: readonly T[]): T[] {
  if (addresses.length < 3) return [...addresses];
  const first = addresses[0]!.family;
  const preferred = addresses.filter((entry) => entry.family === first);
  const other = addresses.filter((entry) => entry.family !== first);
  const ordered: T[] = [];
  for (let i = 0; i < preferred.length || i < other.length; i++) {
    if (i < preferred.length) ordered.push(preferred[i]!);
    if (i < other.length) ordered.push(other[i]!);
  }
  return ordered;
}

/** Options of {@linkcode happyEyeballs}. */
export interface HappyEyeballsOptions {
  /** The local IP address to bind to. */
  readonly localHost?: string | undefined;
  /** Milliseconds before the next attempt starts while the previous one is pending. */
  readonly delay: number;
  /** The host name for {@linkcode ConnectionFailed}'s message (default: the addresses). */
  readonly host?: string;
}

/**
 * @ignore Connects to `port` on the first of `targets` that answers, in the given order:
 * one attempt starts, and the next starts `delay` milliseconds later or as soon as the one
 * before fails, whichever is first. The first connection wins; the other attempts are
 * cancelled (their signals abort) and a socket that connects late is closed. When every
 * attempt fails, throws {@linkcode ConnectionFailed} with every error in the order they
 * happened. Cancelling the caller cancels every attempt.
 */
export async function happyEyeballs(
  targets: readonly ConnectTarget[],
  port: number,
  options: HappyEyeballsOptions,
): Promise<RawSocket> {
  if (targets.length === 0) throw new RangeError("targets must not be empty");
  const backend = currentScope()._backend;
  const localHost = options.localHost;
  const delay = options.delay;
  const errors: unknown[] = [];
  let winner: RawSocket | undefined;

  try {
    await taskGroup(async (tg) => {
      const attempt = async (address: string, done: Event): Promise<void> => {
        try {
          const socket = await openCancellable(
            (signal) => backend.connectTcp(address, port, localHost === undefined ? { signal } : { localHost, signal }),
            (late) => late.close(),
            undefined,
            `connectTcp (${address})`,
          );
          if (winner === undefined) {
            winner = socket;
            tg.cancelScope.cancel("connected");
          } else socket.close();
        } catch (error) {
          if (error instanceof Cancelled) throw error;
          errors.push(error);
        } finally {
          done.set();
        }
      };
      for (let i = 0; i < targets.length; i++) {
        const done = new Event();
        tg.startSoon(attempt, targets[i]!.address, done);
        if (i < targets.length - 1) await moveOnAfter(delay, () => done.wait());
      }
    });
  } catch (error) {
    winner?.close();
    throw error;
  }
  if (winner === undefined) {
    throw new ConnectionFailed(options.host ?? targets.map((target) => target.address).join(", "), port, errors);
  }
  return winner;
}
