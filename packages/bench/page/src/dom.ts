/** The element with this id; the page's markup has every id the scripts ask for. */
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no element #${id}`);
  return el as T;
};

/** A run's status as a badge (its class colours it). */
export function statusBadge(status: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = `status ${status}`;
  span.textContent = status;
  return span;
}
