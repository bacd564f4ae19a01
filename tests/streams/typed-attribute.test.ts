import { describe, expect, it } from "vitest";
import {
  attributeMap,
  EndOfStream,
  ObjectReceiveStreamBase,
  SocketAttribute,
  TLSAttribute,
  typedAttribute,
  TypedAttributeLookupError,
  type TypedAttributeMap,
  TypedAttributeProvider,
} from "../../mod.ts";

const color = typedAttribute<string>("color");
const size = typedAttribute<number>("size");

class Inner extends TypedAttributeProvider {
  override get extraAttributes(): TypedAttributeMap {
    return attributeMap([
      [color, () => "red"],
      [SocketAttribute.localPort, () => 8080],
    ]);
  }
}

class Outer extends TypedAttributeProvider {
  inner = new Inner();
  override get extraAttributes(): TypedAttributeMap {
    return attributeMap([[color, () => "blue"]], this.inner.extraAttributes);
  }
}

describe("typed attributes", () => {
  it("are unique keys even with the same name", () => {
    const a = typedAttribute<string>("x");
    const b = typedAttribute<string>("x");
    expect(a).not.toBe(b);
    expect(a.name).toBe("x");
    const provider = new (class extends TypedAttributeProvider {
      override get extraAttributes(): TypedAttributeMap {
        return attributeMap([[a, () => "a"]]);
      }
    })();
    expect(provider.extra(a)).toBe("a");
    expect(provider.extra(b, "missing")).toBe("missing");
  });

  it("extra() throws TypedAttributeLookupError without a default, returns the default otherwise", () => {
    const inner = new Inner();
    expect(inner.extra(color)).toBe("red");
    expect(inner.extra(SocketAttribute.localPort)).toBe(8080);
    expect(() => inner.extra(size)).toThrow(TypedAttributeLookupError);
    expect(() => inner.extra(size)).toThrow(/size/);
    expect(inner.extra(size, 3)).toBe(3);
    // An explicit undefined default is a default.
    expect(inner.extra(size, undefined)).toBeUndefined();
  });

  it("a wrapper forwards the attributes of what it wraps and may override them", () => {
    const outer = new Outer();
    expect(outer.extra(color)).toBe("blue");
    expect(outer.extra(SocketAttribute.localPort)).toBe(8080);
    expect(outer.extra(SocketAttribute.remotePort, null)).toBeNull();
  });

  it("getters are called at lookup time", () => {
    let port = 1;
    const provider = new (class extends TypedAttributeProvider {
      override get extraAttributes(): TypedAttributeMap {
        return attributeMap([[SocketAttribute.remotePort, () => port]]);
      }
    })();
    expect(provider.extra(SocketAttribute.remotePort)).toBe(1);
    port = 2;
    expect(provider.extra(SocketAttribute.remotePort)).toBe(2);
  });

  it("the standard sets have distinct keys", () => {
    const keys = [...Object.values(SocketAttribute), ...Object.values(TLSAttribute)];
    expect(new Set(keys).size).toBe(keys.length);
    expect(Object.isFrozen(SocketAttribute)).toBe(true);
    expect(Object.isFrozen(TLSAttribute)).toBe(true);
  });

  it("bad input: a non-string name, a getter that is not a function", () => {
    expect(() => typedAttribute<number>(42 as unknown as string)).toThrow(TypeError);
    expect(() => attributeMap([[color, "red" as unknown as () => string]])).toThrow(/color/);
  });

  it("the base receive stream is async-iterable up to EndOfStream and closes on asyncDispose", async () => {
    let closed = 0;
    class Countdown extends ObjectReceiveStreamBase<number> {
      n = 3;
      async receive(): Promise<number> {
        if (this.n === 0) throw new EndOfStream();
        return this.n--;
      }
      async aclose(): Promise<void> {
        closed++;
      }
    }
    const seen: number[] = [];
    {
      await using stream = new Countdown();
      for await (const n of stream) seen.push(n);
    }
    expect(seen).toEqual([3, 2, 1]);
    expect(closed).toBe(1);
    expect(new Countdown().extra(color, "none")).toBe("none");
  });
});
