// Property tests run from a fixed seed so that CI is reproducible: a red run is a real regression,
// not a new random draw. `FC_SEED=random pnpm test` (or `pnpm test:explore`) draws fresh seeds to
// hunt for new counterexamples; `FC_SEED=<n>` replays a reported one.
import fc from "fast-check";

const raw = process.env.FC_SEED ?? "20261128";
if (raw !== "random") {
  const seed = Number(raw);
  if (!Number.isInteger(seed))
    throw new Error(`vitest.setup: FC_SEED must be an integer or "random" (got ${raw})`);
  fc.configureGlobal({ seed });
}
