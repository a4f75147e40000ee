import { defineConfig } from 'prisma/config';

// The service applies migrations itself (src/lib/migrate.ts). This file is for the Prisma CLI:
// `prisma generate`, and `prisma migrate status/deploy` where Prisma's engines are available.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/session_state' },
});
