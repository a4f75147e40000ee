// The handle of an open database transaction, as services pass it from one repository call to the
// next. Services never call it themselves: only repositories (and lib/db.ts) speak Prisma.
import type { Prisma } from '../generated/prisma/client.js';

export type Tx = Prisma.TransactionClient;
