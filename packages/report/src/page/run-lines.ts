// The lines both pages write under a run's title from the same records: its
// metrics and its warnings.

/** The metrics a run's header shows, in this order. */
export const METRICS = ['acc', 'nmi', 'ari'] as const;

/** `v` with `digits` decimals, or a dash when it is not a finite number (not computed yet). */
export const fixed = (v: unknown, digits: number): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');

/** One span per metric of METRICS that `metrics` has ("ACC 0.6123"), each with `data-metric` for tests. */
export function metricSpans(metrics: Record<string, number>): HTMLSpanElement[] {
  return METRICS.filter((m) => m in metrics).map((m) => {
    const span = document.createElement('span');
    span.dataset.metric = m;
    span.textContent = `${m.toUpperCase()} ${fixed(metrics[m], 4)}`;
    return span;
  });
}

/** The warnings list's items ("epoch 3: ..."), or one item saying none. */
export function warningItems(warnings: readonly { epoch?: number; message: string }[]): HTMLLIElement[] {
  return (warnings.length ? warnings : [{ message: 'none' }]).map((w) => {
    const li = document.createElement('li');
    li.textContent = w.epoch === undefined ? w.message : `epoch ${w.epoch + 1}: ${w.message}`;
    return li;
  });
}
