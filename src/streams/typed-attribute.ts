/**
 * Typed attributes: extra, typed information that a resource (a socket, a TLS stream, a
 * wrapper around either) can be asked for with `extra(attribute, default?)`, as AnyIO's
 * `typed_attribute()` and `TypedAttributeProvider`.
 *
 * @module
 */
import { TypedAttributeLookupError } from "../core/errors.ts";

/**
 * The key of one typed attribute; `T` is the type of its value. Keys are compared by
 * identity: create each one once with {@linkcode typedAttribute} and share it.
 *
 * @example
 * ```ts
 * import { type TypedAttribute, typedAttribute } from "@anyts/anyts";
 * const requestId: TypedAttribute<string> = typedAttribute<string>("requestId");
 * console.log(requestId.name); // "requestId"
 * ```
 */
export interface TypedAttribute<T> {
  /** A name for messages and debugging; two attributes may share a name and still differ. */
  readonly name: string;
  /** @ignore Carries the value type; never set at run time. */
  readonly _type?: T;
}

/**
 * Creates a new, unique typed attribute key whose values have type `T`.
 *
 * @example
 * ```ts
 * import { typedAttribute } from "@anyts/anyts";
 * export const MyAttribute = {
 *   userName: typedAttribute<string>("userName"),
 *   retries: typedAttribute<number>("retries"),
 * } as const;
 * ```
 */
export function typedAttribute<T>(name = "attribute"): TypedAttribute<T> {
  if (typeof name !== "string") throw new TypeError(`name must be a string, got ${typeof name}`);
  return Object.freeze({ name }) as TypedAttribute<T>;
}

/**
 * What a resource offers: each attribute key mapped to a function that returns the
 * attribute's current value. Build one with {@linkcode attributeMap}.
 *
 * @example
 * ```ts
 * import { attributeMap, SocketAttribute, type TypedAttributeMap } from "@anyts/anyts";
 * const attributes: TypedAttributeMap = attributeMap([[SocketAttribute.localPort, () => 8080]]);
 * console.log(attributes.size); // 1
 * ```
 */
export type TypedAttributeMap = ReadonlyMap<TypedAttribute<unknown>, () => unknown>;

/**
 * One entry of a {@linkcode TypedAttributeMap}: the key and a getter of a value of the
 * key's type.
 *
 * @example
 * ```ts
 * import { type AttributeEntry, SocketAttribute } from "@anyts/anyts";
 * const entry: AttributeEntry<number> = [SocketAttribute.localPort, () => 8080];
 * ```
 */
export type AttributeEntry<T> = readonly [TypedAttribute<T>, () => T];

/**
 * Builds a {@linkcode TypedAttributeMap}: first the maps of what is wrapped (later maps
 * override earlier ones), then the entries of the wrapper itself, which override both.
 * Entries are type-checked: a getter must return the attribute's type.
 *
 * @example
 * ```ts
 * import { attributeMap, SocketAttribute, typedAttribute } from "@anyts/anyts";
 * const label = typedAttribute<string>("label");
 * const inner = attributeMap([[SocketAttribute.localPort, () => 8080]]);
 * const outer = attributeMap([[label, () => "wrapped"]], inner);
 * console.log(outer.size); // 2
 * ```
 */
// deno-lint-ignore no-explicit-any
export function attributeMap(entries: readonly AttributeEntry<any>[], ...wrapped: TypedAttributeMap[]): TypedAttributeMap {
  const map = new Map<TypedAttribute<unknown>, () => unknown>();
  for (const inner of wrapped) for (const [key, getter] of inner) map.set(key, getter);
  for (const [key, getter] of entries) {
    if (typeof getter !== "function") throw new TypeError(`the getter of attribute ${key.name} must be a function`);
    map.set(key, getter);
  }
  return map;
}

const emptyAttributes: TypedAttributeMap = new Map();

/**
 * Base class of everything that answers {@linkcode TypedAttributeProvider.extra}.
 * Subclasses override the `extraAttributes` getter; a wrapper includes the attributes of
 * what it wraps (and may override some), usually with {@linkcode attributeMap}.
 *
 * @example
 * ```ts
 * import { attributeMap, TypedAttributeProvider, type TypedAttributeMap, typedAttribute } from "@anyts/anyts";
 *
 * const color = typedAttribute<string>("color");
 * class Paint extends TypedAttributeProvider {
 *   override get extraAttributes(): TypedAttributeMap {
 *     return attributeMap([[color, () => "red"]]);
 *   }
 * }
 * console.log(new Paint().extra(color)); // "red"
 * console.log(new Paint().extra(typedAttribute<number>("size"), 0)); // 0
 * ```
 */
export abstract class TypedAttributeProvider {
  /**
   * The attributes this object provides, each mapped to a getter of its value. Empty
   * unless a subclass overrides it.
   */
  get extraAttributes(): TypedAttributeMap {
    return emptyAttributes;
  }

  /**
   * Returns the value of `attribute`. Without `defaultValue`, a missing attribute throws
   * {@linkcode TypedAttributeLookupError}; with it, `defaultValue` is returned instead.
   */
  extra<T>(attribute: TypedAttribute<T>): T;
  /** Returns the value of `attribute`, or `defaultValue` when it is not provided. */
  extra<T, D>(attribute: TypedAttribute<T>, defaultValue: D): T | D;
  extra<T, D>(attribute: TypedAttribute<T>, defaultValue?: D): T | D {
    const getter = this.extraAttributes.get(attribute as TypedAttribute<unknown>);
    if (getter !== undefined) return getter() as T;
    if (arguments.length >= 2) return defaultValue as D;
    throw new TypedAttributeLookupError(
      `attribute ${attribute?.name ?? String(attribute)} is not provided by this resource`,
    );
  }
}
