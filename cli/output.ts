/** Human and JSON output, shared by every command. */
import Table from 'cli-table3';

/** Prints a value as pretty JSON on stdout (the `--json` form of every command). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table, no borders, so it reads well in a terminal and in logs. */
export function formatTable(head: string[], rows: Array<Array<string | number>>): string {
  const table = new Table({
    head,
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  table.push(...rows.map((row) => row.map(String)));
  return table.toString();
}

/** A listing: JSON as is, or a table, or what to do when it is empty. */
export function printRows<T>(
  rows: T[],
  json: boolean | undefined,
  table: { head: string[]; row: (item: T) => Array<string | number>; empty: string },
): void {
  if (json) printJson(rows);
  else if (rows.length === 0) process.stdout.write(`${table.empty}\n`);
  else process.stdout.write(`${formatTable(table.head, rows.map(table.row))}\n`);
}
