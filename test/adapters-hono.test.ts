// Runs examples/hono.ts with the real hono package and talks to it with this package's client.
import { recipeSuite } from "./adapters-helpers.js";

recipeSuite("hono", () => import("../examples/hono.js"));
