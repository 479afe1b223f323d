/**
 * `index,label,cluster` for every sample: the run's cluster assignment (main read-out)
 * next to the class label, empty when the dataset has none.
 */
export function assignmentsCsv(clusters: ArrayLike<number>, labels?: ArrayLike<number>): string {
  const lines = ['index,label,cluster'];
  for (let i = 0; i < clusters.length; i++) lines.push(`${i},${labels ? labels[i] : ''},${clusters[i]}`);
  return lines.join('\n') + '\n';
}

/** Parses what assignmentsCsv wrote (the label column is -1 where it is empty). */
export function parseAssignmentsCsv(text: string): { index: number[]; label: number[]; cluster: number[] } {
  const [header, ...rows] = text.trim().split('\n');
  if (header !== 'index,label,cluster') throw new Error(`not an assignments file: header is '${header}'`);
  const out = { index: [] as number[], label: [] as number[], cluster: [] as number[] };
  for (const row of rows) {
    const [i, l, c] = row.split(',');
    out.index.push(Number(i));
    out.label.push(l === '' ? -1 : Number(l));
    out.cluster.push(Number(c));
  }
  return out;
}
