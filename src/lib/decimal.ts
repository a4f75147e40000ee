import type { Prisma } from './prisma.js';

/** A PostgreSQL numeric as read by Prisma → its plain decimal text without trailing zeros ("0.0003", never "3e-4"). */
export function decimalText(value: Prisma.Decimal | null): string | null {
  if (value === null) return null;
  const text = value.toFixed();
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
