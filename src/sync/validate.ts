/**
 * Argument checks shared by the synchronization primitives. Internal to anyts.
 *
 * @module
 */

/**
 * @ignore Throws a TypeError unless `value` is a number, and a RangeError unless it is an
 * integer of at least `min` (or `Infinity`, when `allowInfinity`). Messages name `name`.
 */
export function validateCount(value: unknown, name: string, min: number, allowInfinity = false): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number, got ${value === null ? "null" : typeof value}`);
  }
  if (allowInfinity && value === Infinity) return value;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `${name} must be an integer >= ${min}${allowInfinity ? " or Infinity" : ""}, got ${value}`,
    );
  }
  return value;
}
