/**
 * Session ids: 15 bytes (12 from `crypto` randomness drawn from a pool, 3 from a counter) as 20 base64url
 * characters, like engine.io's base64id.
 */
import { randomFillSync } from "node:crypto";

const POOL_SIZE = 12 * 512;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolPos = POOL_SIZE;
let counter = 0;
const scratch = Buffer.allocUnsafe(15);

/** A new 20-character base64url session id. */
export function generateId(): string {
  if (poolPos === POOL_SIZE) {
    randomFillSync(pool);
    poolPos = 0;
  }
  pool.copy(scratch, 0, poolPos, poolPos + 12);
  poolPos += 12;
  counter = (counter + 1) & 0xffffff;
  scratch[12] = counter >>> 16;
  scratch[13] = (counter >>> 8) & 0xff;
  scratch[14] = counter & 0xff;
  return scratch.toString("base64url");
}
