// synckit's side of the portal benchmark (scripts/bench/workers.bench.ts).
import { runAsWorker } from "synckit";
runAsWorker(async (value) => value);
