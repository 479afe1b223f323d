/** A typed injection token. `Symbol.for` so that two installed copies of core agree. */
export type Token<T> = symbol & { readonly __type?: T };

export function token<T>(name: string): Token<T> {
  return Symbol.for(`clusterflow.${name}`) as Token<T>;
}
