// Runs examples/fastify.ts with the real fastify package and talks to it with this package's client.
import { recipeSuite } from "./adapters-helpers.js";

recipeSuite("fastify", () => import("../examples/fastify.js"));
