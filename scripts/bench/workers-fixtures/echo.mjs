// The work of scripts/bench/workers.bench.ts: an echo, for anyts (named export), piscina
// and tinypool (default export). Plain JavaScript: every runtime of the matrix loads it.
export function echo(value) {
  return value;
}
export default echo;
