import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { DomainError } from './domain-error.js';

export interface PageRequest {
  /** 1–100 rows. */
  limit: number;
  /** What the previous page answered as `nextCursor`. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Give it back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/**
 * Keyset pagination for a table with `created_at` and a uuid `id`, newest first: each page starts
 * after the (created_at, id) of the last row of the one before, so rows written or deleted between
 * two requests never make a page skip or repeat one, and page 1,000 costs what page 1 does (with an
 * index on (created_at DESC, id DESC)). The cursor holds the time to the microsecond, as Postgres
 * does; a JavaScript Date would round it to the millisecond.
 */
export async function newestFirstPage<T extends ObjectLiteral & { id: string }>(
  query: SelectQueryBuilder<T>,
  page: PageRequest,
): Promise<Page<T>> {
  const alias = query.alias;
  query
    .addSelect(`(extract(epoch from ${alias}.created_at) * 1000000)::bigint::text`, 'page_position')
    .orderBy(`${alias}.created_at`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .limit(page.limit + 1);
  if (page.cursor) {
    const after = decodeCursor(page.cursor);
    query.andWhere(
      `(${alias}.created_at, ${alias}.id) < (timestamptz 'epoch' + :pageMicros::bigint * interval '1 microsecond', :pageId::uuid)`,
      { pageMicros: after.micros, pageId: after.id },
    );
  }
  const { entities, raw } = await query.getRawAndEntities<{ page_position: string }>();
  const items = entities.slice(0, page.limit);
  const last = entities.length > page.limit ? raw[page.limit - 1] : undefined;
  return { items, nextCursor: last ? Buffer.from(`${last.page_position}.${items.at(-1)!.id}`).toString('base64url') : null };
}

function decodeCursor(cursor: string): { micros: string; id: string } {
  const match = new RegExp(`^(\\d{1,19})\\.(${UUID})$`).exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!match) throw new DomainError('VALIDATION_FAILED', 'cursor is not one this service gave out');
  return { micros: match[1], id: match[2] };
}
