// Runs examples/koa.ts with the real koa package and talks to it with this package's client.
import { recipeSuite } from "./adapters-helpers.js";

recipeSuite("koa", () => import("../examples/koa.js"));
