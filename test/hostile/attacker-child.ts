/**
 * Attackers in their own process (so their CPU use does not distort the healthy clients' latency measured in
 * the test process). RPC `run {env, attacks, durationMs}` runs the named attacks concurrently and returns reports.
 */
import { ATTACKS, type AttackEnv, type AttackName, type AttackReport } from "./lib/attacks.js";
import { serveRpc } from "./lib/child.js";

serveRpc({
  run: async (args) => {
    const env = args.env as AttackEnv;
    const names = args.attacks as AttackName[];
    const durationMs = Number(args.durationMs);
    const reports: AttackReport[] = await Promise.all(names.map((n) => ATTACKS[n](env, durationMs)));
    return { reports };
  },
  exit: () => {
    setTimeout(() => process.exit(0), 10);
    return { ok: true };
  },
});
process.send!({ ready: true, port: 0 });
