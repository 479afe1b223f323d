/** Steps drawn at most: a long run's curves stay quick to send and redraw every second. */
export const MAX_STEPS = 2000;

/** At most `max` items, evenly spaced, the first and last always among them. */
export function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const stride = (items.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => items[Math.round(i * stride)]);
}
