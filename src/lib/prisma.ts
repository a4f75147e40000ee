// Prisma's types, named once for the repositories (and only for them).
export type { PrismaClient } from '../generated/prisma/client.js';
export { Prisma } from '../generated/prisma/client.js';
export type { Tx } from './transaction.js';
