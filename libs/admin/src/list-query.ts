import type { ActionContext, ActionRequest } from 'adminjs';

export interface ListQueryRules {
  /** Properties a list may be filtered (and searched) on: the resource's filterProperties. */
  filterable: readonly string[];
  /** Properties a list may be sorted by: the listed ones. */
  sortable: readonly string[];
}

const MAX_PER_PAGE = 500;
const RANGE = /^(.+)~~(from|to)$/;

/**
 * AdminJS's list and search actions take any property as a filter or sort key, hidden ones too:
 * `filters.passwordHash=$argon2id$…` answers whether a guessed prefix is right, so a password or
 * token hash, a private key or a webhook secret can be read a character at a time. This keeps only
 * what the panel offers (its filter properties, with values their columns can hold, and sorting on
 * listed properties) and drops the rest, so a hand-made query answers as if it had not been asked;
 * a value a column cannot hold (a malformed date, "maybe" for a flag) would otherwise be a
 * database error.
 */
export function allowedListQuery(rules: ListQueryRules) {
  const filterable = new Set(rules.filterable);
  const sortable = new Set(rules.sortable);
  return (request: ActionRequest, context: ActionContext): ActionRequest => {
    const query: Record<string, unknown> = request.query ?? {};
    const kept: Record<string, string> = {};
    for (const [key, value] of Object.entries(query)) {
      if (typeof value !== 'string') continue;
      if (key.startsWith('filters.')) {
        if (fitsFilter(context, filterable, key.slice('filters.'.length), value)) kept[key] = value;
      } else if (key === 'sortBy' || key === 'searchProperty') {
        if ((key === 'sortBy' ? sortable : filterable).has(value)) kept[key] = value;
      } else if (key === 'direction') {
        if (value === 'asc' || value === 'desc') kept[key] = value;
      } else if (key === 'page' || key === 'perPage') {
        const n = Number(value);
        if (Number.isSafeInteger(n) && n >= 1 && (key === 'page' || n <= MAX_PER_PAGE)) kept[key] = value;
      }
    }
    const params = { ...request.params };
    // search/:query filters on the resource's title property (or searchProperty): only when that may
    // be filtered on with that value.
    const searched = kept.searchProperty ?? context.resource.decorate().titleProperty().name();
    if (params.query !== undefined && !fitsFilter(context, filterable, searched, String(params.query))) delete params.query;
    return { ...request, query: kept, params };
  };
}

function fitsFilter(context: ActionContext, filterable: Set<string>, name: string, value: string): boolean {
  const range = RANGE.exec(name);
  const propertyName = range ? range[1] : name;
  if (!filterable.has(propertyName)) return false;
  const property = context.resource.property(propertyName);
  if (!property) return false;
  const available = property.availableValues();
  switch (property.type()) {
    case 'datetime':
    case 'date':
      return !!range && value.length <= 64 && !Number.isNaN(Date.parse(value));
    case 'boolean':
      return !range && (value === 'true' || value === 'false');
    case 'number':
      return !range && /^-?\d{1,15}$/.test(value);
    default:
      return !range && value.length <= 256 && (!available || available.includes(value));
  }
}
