/** Number formats and the Markdown table shared by the report's sections. */
export const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
export const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : 'n/a');
export const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'n/a');
export const fx = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

export function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export const NAMES: Record<string, string> = {
  parley: 'Parley (SSE)',
  'socket.io': 'Socket.IO peer',
  raw: 'raw-socket ceiling',
};
