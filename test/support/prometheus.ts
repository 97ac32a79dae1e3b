/** Prometheus text format → { 'name{label="value",…}': number }, for asserting exact movements. */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The metric families a scrape declares (from its `# TYPE` lines). */
export function declaredMetrics(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
}

/** One series' key, labels in the order the service writes them. */
export const series = (name: string, labels: Record<string, string> = {}) =>
  Object.keys(labels).length
    ? `${name}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',')}}`
    : name;

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  'e',
]);

/** The metric names a PromQL expression reads: label matchers, grouping clauses, range selectors, strings and functions removed. */
export function metricsInExpression(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  const names = [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)]
    .map((match) => match[1])
    .filter((word) => !PROMQL_WORDS.has(word.toLowerCase()) && !/^\d/.test(word));
  return [...new Set(names)];
}

/** Whether a scrape exposes this series name (a histogram's _bucket, _sum and _count included). */
export function isExposed(name: string, declared: Set<string>): boolean {
  return declared.has(name) || declared.has(name.replace(/_(bucket|sum|count)$/, ''));
}
