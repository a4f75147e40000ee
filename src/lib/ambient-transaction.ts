// A transaction that everything a piece of work does joins by itself: while `joinAmbient(tx, work)`
// runs, every query made through the service's Prisma client (src/lib/db.ts) goes through `tx`, and a
// nested `$transaction(fn)` runs `fn` in it. The Idempotency-Key plugin uses it to make a route's
// whole change and its stored response one atomic step, without threading `tx` through every service.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Tx } from './transaction.js';

interface Ambient {
  tx: Tx;
  /** False once `work` has finished: a timer it started must not use the ended transaction. */
  open: boolean;
}

const storage = new AsyncLocalStorage<Ambient>();

export async function joinAmbient<T>(tx: Tx, work: () => Promise<T>): Promise<T> {
  const ambient: Ambient = { tx, open: true };
  try {
    return await storage.run(ambient, work);
  } finally {
    ambient.open = false;
  }
}

/** The transaction the current work runs in, if any. */
export function ambientTransaction(): Tx | undefined {
  const ambient = storage.getStore();
  return ambient?.open ? ambient.tx : undefined;
}
