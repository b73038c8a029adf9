// Runs examples/express.ts with the real express package and talks to it with this package's client.
import { recipeSuite } from "./adapters-helpers.js";

recipeSuite("express", () => import("../examples/express.js"));
