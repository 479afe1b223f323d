// The runs table: one row per run, sorted by the column whose header was clicked.
import { fixed, METRICS } from '@clusterflow/report/page';
import type { RunRow } from './api.js';
import { $, statusBadge } from './dom.js';

/** The column sorted by (a th's data-key) and its direction (1 up, -1 down). */
export interface SortOrder {
  key: string;
  dir: 1 | -1;
}

/** A run's value in a column, for sorting: numbers for numeric columns. */
function columnValue(run: RunRow, key: string): unknown {
  if ((METRICS as readonly string[]).includes(key)) return run.metrics?.[key];
  if (key === 'objective') return run.objectives?.join(' + ');
  return (run as unknown as Record<string, unknown>)[key];
}

/** `runs` in `sort`'s order, ties by id. */
export function sortedRuns(runs: readonly RunRow[], sort: SortOrder): RunRow[] {
  return [...runs].sort((a, b) => {
    const x = columnValue(a, sort.key);
    const y = columnValue(b, sort.key);
    // Missing values (a metric not computed yet) go last either way.
    if (x === undefined || y === undefined) return Number(x === undefined) - Number(y === undefined);
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return c * sort.dir || a.id.localeCompare(b.id);
  });
}

/** Fills the table's body with `runs`, marks the selected row and the sorted column. */
export function renderTable(runs: readonly RunRow[], sort: SortOrder, selected: string | undefined, select: (id: string) => void): void {
  const body = document.querySelector<HTMLTableSectionElement>('#runs tbody')!;
  body.replaceChildren(
    ...sortedRuns(runs, sort).map((run) => {
      const tr = document.createElement('tr');
      tr.dataset.id = run.id;
      tr.classList.toggle('selected', run.id === selected);
      const cells: [string | number | Node, string?][] = [
        [run.name],
        [run.seed ?? '', 'num'],
        [run.bench || '.'],
        [statusBadge(run.status)],
        [run.objectives?.join(' + ') ?? ''],
        [run.backbone ?? ''],
        [run.dataset ?? ''],
        [run.backend ?? ''],
        [`${run.epochsDone ?? ''}/${run.epochs ?? ''}`, 'num'],
        ...METRICS.map((m): [string, string] => [fixed(run.metrics?.[m], 4), `num metric-${m}`]),
        [fixed(run.imagesPerSec, 0), 'num'],
        [fixed(run.wallSeconds, 1), 'num'],
        [run.warnings ?? '', 'num'],
      ];
      for (const [content, cls] of cells) {
        const td = document.createElement('td');
        if (cls) td.className = cls;
        td.append(content instanceof Node ? content : String(content));
        tr.append(td);
      }
      tr.addEventListener('click', () => select(run.id));
      return tr;
    }),
  );
  for (const th of document.querySelectorAll<HTMLTableCellElement>('#runs th')) {
    th.classList.toggle('sorted-asc', th.dataset.key === sort.key && sort.dir > 0);
    th.classList.toggle('sorted-desc', th.dataset.key === sort.key && sort.dir < 0);
  }
  $('no-runs').hidden = runs.length > 0;
}
