/**
 * Session ids: 20 base64url characters, like engine.io's base64id.
 *
 * Without a node id: 15 bytes (12 from `crypto` randomness drawn from a pool, 3 from a counter).
 * With a node id of k (1–4) characters: the id is the node id followed by 20−k characters drawn from the random
 * pool only (no counter), so it keeps ≥ 16 × 6 = 96 random bits while a load balancer can route on its prefix.
 */
import { randomFillSync } from "node:crypto";
import { createError } from "../protocol/errors.js";

const POOL_SIZE = 15 * 512;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolPos = POOL_SIZE;
let counter = 0;
const scratch = Buffer.allocUnsafe(15);

/** Length of every issued session id. */
export const SID_LENGTH = 20;

/** What a node id may be: 1–4 characters of `[A-Za-z0-9]`. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9]{1,4}$/;

function take(n: number): void {
  if (poolPos + n > POOL_SIZE) {
    randomFillSync(pool);
    poolPos = 0;
  }
  pool.copy(scratch, 0, poolPos, poolPos + n);
  poolPos += n;
}

/**
 * A new 20-character base64url session id.
 * @param nodeId - optional prefix (already validated by {@link validateNodeId}); the rest stays random.
 */
export function generateId(nodeId?: string): string {
  if (nodeId) {
    // 15 random bytes → 20 random characters; the prefix replaces the first k of them.
    take(15);
    return nodeId + scratch.toString("base64url", 0, 15).slice(nodeId.length);
  }
  take(12);
  counter = (counter + 1) & 0xffffff;
  scratch[12] = counter >>> 16;
  scratch[13] = (counter >>> 8) & 0xff;
  scratch[14] = counter & 0xff;
  return scratch.toString("base64url");
}

/**
 * Checks a `nodeId` option: `undefined` passes; anything else must be a string of 1–4 `[A-Za-z0-9]`.
 * Throws `TypeError` (not a string) or `RangeError` (bad length or characters), both with code `EIO_ERR_INVALID_ARG`.
 */
export function validateNodeId(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string")
    throw invalid(TypeError, `option nodeId must be a string, got ${typeof value}`);
  if (!NODE_ID_PATTERN.test(value))
    throw invalid(
      RangeError,
      `option nodeId must be 1-4 characters of [A-Za-z0-9], got ${JSON.stringify(value)}`,
    );
  return value;
}

function invalid<K extends typeof TypeError | typeof RangeError>(Kind: K, message: string): Error {
  return createError("EIO_ERR_INVALID_ARG", message, { option: "nodeId" }, Kind);
}
