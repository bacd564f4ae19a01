import { describe, expect, it } from "vitest";
import {
  CancelScope,
  Cancelled,
  checkpoint,
  checkpointIfCancelled,
  cancelShieldedCheckpoint,
  currentEffectiveDeadline,
  currentTime,
  failAfter,
  failAt,
  moveOnAfter,
  moveOnAt,
  sleep,
  sleepForever,
  taskGroup,
  TimeoutError,
} from "../../mod.ts";

describe("CancelScope", () => {
  it("is level-triggered: every checkpoint in a cancelled scope raises", async () => {
    let raised = 0;
    const scope = new CancelScope();
    await scope.run(async () => {
      scope.cancel();
      for (let i = 0; i < 3; i++) {
        try {
          await checkpoint();
        } catch (error) {
          expect(error).toBeInstanceOf(Cancelled);
          raised++;
        }
      }
      expect(() => checkpointIfCancelled()).toThrow(Cancelled);
      await cancelShieldedCheckpoint(); // does not raise
    });
    expect(raised).toBe(3);
    expect(scope.cancelCalled).toBe(true);
    expect(scope.cancelledCaught).toBe(false); // nothing left the scope as Cancelled
  });

  it("interrupts a blocked wait when cancelled and catches its own cancellation", async () => {
    const scope = new CancelScope();
    const result = scope.run(async () => {
      await sleepForever();
      return "unreachable";
    });
    scope.cancel("stop");
    await expect(result).resolves.toBeUndefined();
    expect(scope.cancelledCaught).toBe(true);
  });

  it("returns fn's value when not cancelled", async () => {
    const scope = new CancelScope();
    await expect(scope.run(async (s) => (s === scope ? 42 : 0))).resolves.toBe(42);
    expect(scope.cancelledCaught).toBe(false);
  });

  it("cancelled before entry cancels at the first checkpoint", async () => {
    const scope = new CancelScope();
    scope.cancel();
    let reached = false;
    await scope.run(async () => {
      reached = true; // code before the first checkpoint runs
      await checkpoint();
      throw new Error("not reached");
    });
    expect(reached).toBe(true);
    expect(scope.cancelledCaught).toBe(true);
  });

  it("attributes cancellation to the outermost cancelled scope that is visible", async () => {
    const outer = new CancelScope();
    const inner = new CancelScope();
    await outer.run(async () => {
      await inner.run(async () => {
        inner.cancel();
        outer.cancel();
        await checkpoint();
      });
      throw new Error("the outer cancellation must propagate through the inner scope");
    });
    expect(inner.cancelledCaught).toBe(false);
    expect(outer.cancelledCaught).toBe(true);
  });

  it("an inner scope catches only its own cancellation", async () => {
    const outer = new CancelScope();
    const inner = new CancelScope();
    let after = false;
    await outer.run(async () => {
      await inner.run(async () => {
        inner.cancel();
        await checkpoint();
      });
      after = true;
    });
    expect(inner.cancelledCaught).toBe(true);
    expect(outer.cancelledCaught).toBe(false);
    expect(after).toBe(true);
  });

  it("a Cancelled that no scope caused propagates out of the scope", async () => {
    const scope = new CancelScope();
    await expect(scope.run(() => { throw new Cancelled("stray"); })).rejects.toBeInstanceOf(Cancelled);
    expect(scope.cancelledCaught).toBe(false);
  });

  it("cancelling an outer scope cancels nested scopes and tasks", async () => {
    const outer = new CancelScope();
    const cancelled: string[] = [];
    await outer.run(async () => {
      await taskGroup(async (tg) => {
        for (const name of ["a", "b"]) {
          tg.startSoon(async () => {
            await new CancelScope().run(async () => {
              try {
                await sleepForever();
              } catch (error) {
                cancelled.push(name);
                throw error;
              }
            });
          });
        }
        await checkpoint(); // let the tasks block
        await checkpoint();
        outer.cancel();
      });
    });
    expect(cancelled.sort()).toEqual(["a", "b"]);
    expect(outer.cancelledCaught).toBe(true);
  });

  it("a shield blocks outer cancellation but not its own deadline", async () => {
    const outer = new CancelScope();
    let shieldedFinished = false;
    const shielded = new CancelScope({ shield: true });
    await outer.run(async () => {
      outer.cancel();
      await shielded.run(async () => {
        await checkpoint(); // outer cancellation does not reach here
        await sleep(1);
        shieldedFinished = true;
      });
      await checkpoint(); // raises: the outer scope is cancelled
    });
    expect(shieldedFinished).toBe(true);
    expect(outer.cancelledCaught).toBe(true);

    const outer2 = new CancelScope();
    const ownDeadline = new CancelScope({ shield: true, deadline: currentTime() + 5 });
    await outer2.run(async () => {
      outer2.cancel();
      await ownDeadline.run(() => sleepForever());
    });
    expect(ownDeadline.cancelledCaught).toBe(true);
  });

  it("a shield blocks outer cancellation but not its own cancel()", async () => {
    const shielded = new CancelScope({ shield: true });
    const outer = new CancelScope();
    await outer.run(async () => {
      outer.cancel();
      await shielded.run(async () => {
        shielded.cancel();
        await checkpoint();
      });
      await checkpoint(); // outside the shield, the outer cancellation raises
    });
    expect(shielded.cancelledCaught).toBe(true); // the shield hides the outer cancellation
    expect(outer.cancelledCaught).toBe(true);
  });

  it("unshielding delivers a pending outer cancellation to a blocked wait", async () => {
    const outer = new CancelScope();
    const shielded = new CancelScope({ shield: true });
    let interrupted = false;
    await outer.run(async () => {
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          await shielded.run(async () => {
            try {
              await sleepForever();
            } catch (error) {
              interrupted = true;
              throw error;
            }
          });
        });
        await checkpoint();
        await checkpoint();
        outer.cancel();
        await cancelShieldedCheckpoint();
        expect(interrupted).toBe(false);
        shielded.shield = false;
      });
    });
    expect(interrupted).toBe(true);
    expect(outer.cancelledCaught).toBe(true);
  });

  it("a deadline moved later avoids the timeout; moved earlier cancels at once", async () => {
    const scope = new CancelScope({ deadline: currentTime() + 10 });
    await scope.run(async () => {
      scope.deadline = currentTime() + 60_000;
      await sleep(30);
    });
    expect(scope.cancelCalled).toBe(false);

    const scope2 = new CancelScope();
    await scope2.run(async () => {
      const sleeping = sleepForever();
      scope2.deadline = currentTime() - 1;
      await sleeping;
    });
    expect(scope2.cancelledCaught).toBe(true);
  });

  it("a deadline in the past on entry cancels at the first checkpoint", async () => {
    const scope = new CancelScope({ deadline: currentTime() - 1000 });
    let before = false;
    await scope.run(async () => {
      before = true;
      await checkpoint();
      throw new Error("not reached");
    });
    expect(before).toBe(true);
    expect(scope.cancelledCaught).toBe(true);
  });

  it("never cancels before its deadline", async () => {
    const start = currentTime();
    await moveOnAfter(15, sleepForever);
    expect(currentTime() - start).toBeGreaterThanOrEqual(15);
  });

  it("scope.signal aborts when the scope becomes effectively cancelled", async () => {
    const outer = new CancelScope();
    const inner = new CancelScope();
    let innerSignal: AbortSignal | undefined;
    await outer.run(async () => {
      await inner.run(async () => {
        innerSignal = inner.signal;
        expect(innerSignal.aborted).toBe(false);
        outer.cancel("outer reason");
        expect(innerSignal.aborted).toBe(true);
        expect(innerSignal.reason).toBeInstanceOf(Cancelled);
        expect(String(innerSignal.reason.message)).toContain("outer reason");
      });
    });
    // A signal asked for after cancellation is aborted already.
    const done = new CancelScope();
    done.cancel();
    expect(done.signal.aborted).toBe(true);
    // A shielded scope's signal does not abort with the outer scope.
    const outer2 = new CancelScope();
    const shielded = new CancelScope({ shield: true });
    await outer2.run(() =>
      shielded.run(() => {
        const signal = shielded.signal;
        outer2.cancel();
        expect(signal.aborted).toBe(false);
      })
    );
  });

  it("an external AbortSignal bound with the signal option cancels the scope", async () => {
    const controller = new AbortController();
    const scope = new CancelScope({ signal: controller.signal });
    const running = scope.run(() => sleepForever());
    controller.abort(new Error("client went away"));
    await expect(running).resolves.toBeUndefined();
    expect(scope.cancelledCaught).toBe(true);

    const aborted = new CancelScope({ signal: AbortSignal.abort() });
    await aborted.run(() => checkpoint());
    expect(aborted.cancelledCaught).toBe(true);
  });

  it("currentEffectiveDeadline follows nesting and shields", async () => {
    expect(currentEffectiveDeadline()).toBe(Infinity);
    const now = currentTime();
    await moveOnAt(now + 10_000, async () => {
      expect(currentEffectiveDeadline()).toBe(now + 10_000);
      await moveOnAt(now + 20_000, async () => {
        expect(currentEffectiveDeadline()).toBe(now + 10_000); // the earlier outer one wins
        await new CancelScope({ shield: true }).run(async () => {
          expect(currentEffectiveDeadline()).toBe(Infinity); // the shield hides outer deadlines
          await moveOnAt(now + 30_000, async () => {
            expect(currentEffectiveDeadline()).toBe(now + 30_000);
          });
        });
      });
      await new CancelScope().run(async (scope) => {
        scope.cancel();
        expect(currentEffectiveDeadline()).toBe(-Infinity);
      });
    });
  });

  it("cannot be entered twice", async () => {
    const scope = new CancelScope();
    await scope.run(async () => {});
    await expect(scope.run(async () => {})).rejects.toThrow(/entered only once/);
    const active = new CancelScope();
    await active.run(async () => {
      await expect(active.run(async () => {})).rejects.toThrow(/entered only once/);
    });
  });

  it("rejects bad options with errors naming the argument", async () => {
    expect(() => new CancelScope({ deadline: NaN })).toThrow(RangeError);
    expect(() => new CancelScope({ deadline: NaN })).toThrow(/deadline/);
    expect(() => new CancelScope({ deadline: "soon" as unknown as number })).toThrow(TypeError);
    expect(() => new CancelScope({ shield: 1 as unknown as boolean })).toThrow(/shield/);
    expect(() => new CancelScope({ signal: {} as AbortSignal })).toThrow(/signal/);
    const scope = new CancelScope();
    expect(() => (scope.deadline = NaN)).toThrow(/deadline/);
    expect(scope.deadline).toBe(Infinity); // unchanged
    await expect(scope.run("nope" as never)).rejects.toThrow(/fn must be a function/);
    await expect(scope.run(async () => 1)).resolves.toBe(1); // still usable: the bad call did not enter it
  });
});

describe("timeouts", () => {
  it("moveOnAfter resolves undefined at the deadline and fn's value otherwise", async () => {
    await expect(moveOnAfter(5, async () => { await sleepForever(); })).resolves.toBeUndefined();
    await expect(moveOnAfter(1_000, async () => "fast")).resolves.toBe("fast");
  });

  it("moveOnAfter(null) never times out", async () => {
    let scopeSeen: CancelScope | undefined;
    await expect(moveOnAfter(null, async (scope) => { scopeSeen = scope; await sleep(5); return 1; })).resolves.toBe(1);
    expect(scopeSeen!.deadline).toBe(Infinity);
  });

  it("failAfter throws TimeoutError at the deadline, with the given reason", async () => {
    await expect(failAfter(5, () => sleepForever())).rejects.toBeInstanceOf(TimeoutError);
    await expect(failAfter(5, () => sleepForever(), { reason: "loading config" })).rejects.toThrow("loading config");
    await expect(failAt(currentTime() + 5, () => sleepForever())).rejects.toBeInstanceOf(TimeoutError);
    await expect(failAfter(1_000, async () => "ok")).resolves.toBe("ok");
  });

  it("failAfter resolves undefined when its scope is cancelled by hand", async () => {
    await expect(failAfter(10_000, async (scope) => { scope.cancel(); await checkpoint(); })).resolves.toBeUndefined();
  });

  it("a timeout inside a cancelled outer scope does not swallow the outer cancellation", async () => {
    const outer = new CancelScope();
    let after = false;
    await outer.run(async () => {
      outer.cancel();
      await moveOnAfter(0, () => checkpoint());
      after = true;
    });
    expect(after).toBe(false);
    expect(outer.cancelledCaught).toBe(true);
  });

  it("shield option of moveOnAfter blocks outer cancellation", async () => {
    const outer = new CancelScope();
    let done = false;
    await outer.run(async () => {
      outer.cancel();
      await moveOnAfter(1_000, async () => { await sleep(1); done = true; }, { shield: true });
    });
    expect(done).toBe(true);
  });

  it("rejects negative and NaN durations and NaN deadlines", async () => {
    await expect(moveOnAfter(-1, async () => {})).rejects.toThrow(RangeError);
    await expect(moveOnAfter(NaN, async () => {})).rejects.toThrow(/ms/);
    await expect(failAfter(-5, async () => {})).rejects.toThrow(RangeError);
    await expect(moveOnAt(NaN, async () => {})).rejects.toThrow(/deadline/);
    await expect(failAt(NaN, async () => {})).rejects.toThrow(RangeError);
  });
});
