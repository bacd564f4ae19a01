/**
 * Checking the options objects of the public API: an unknown key (a typo such as
 * `localport`) is a `TypeError` that names it and lists the known ones, instead of being
 * silently ignored.
 *
 * @module
 */

/** @internal A short description of a value's type, for error messages. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/**
 * @internal Checks that `options` is `undefined` or a plain object whose keys are all in
 * `known`; throws a `TypeError` naming `where`, the unknown key and the known ones.
 * Returns the options (an empty object for `undefined`).
 */
export function checkOptions<T extends object>(options: T | undefined, known: readonly (keyof T & string)[], where: string): T {
  if (options === undefined) return {} as T;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describeType(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(known as readonly string[]).includes(key)) {
      const hint = known.find((name) => name.toLowerCase() === key.toLowerCase());
      throw new TypeError(
        `${where}: unknown option "${key}"${hint === undefined ? "" : ` (did you mean "${hint}"?)`}; known options: ${known.join(", ")}`,
      );
    }
  }
  return options;
}
