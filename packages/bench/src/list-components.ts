import { z } from 'zod';
import { KIND_NAMES, type Kind, type Registry } from '@clusterflow/core';

export interface ComponentInfo {
  kind: Kind;
  id: string;
  origin: string;
  description?: string;
  /** The options as JSON Schema (input side: what a config may write, with defaults). */
  options: Record<string, unknown>;
}

/** Every registered component with its origin and its option schema. */
export function listComponents(registry: Registry): ComponentInfo[] {
  return KIND_NAMES.flatMap((kind) =>
    registry.list(kind).map((e) => ({
      kind,
      id: e.factory.id,
      origin: e.origin,
      description: e.factory.description,
      options: optionSchema(e.factory.options as z.ZodType),
    })),
  );
}

function optionSchema(schema: z.ZodType): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch (err) {
    // A plugin's schema may use something JSON Schema cannot express; list it anyway.
    return { error: `options not representable as JSON Schema: ${(err as Error).message}` };
  }
}

type Prop = {
  type?: string | string[];
  default?: unknown;
  description?: string;
  enum?: unknown[];
  anyOf?: Prop[];
  oneOf?: Prop[];
  const?: unknown;
  items?: Prop;
};

/** Human-readable listing: per kind, each id with origin and description, then one line per option. */
export function formatComponents(items: ComponentInfo[]): string {
  const out: string[] = [];
  for (const kind of KIND_NAMES) {
    const ofKind = items.filter((i) => i.kind === kind);
    out.push(`${kind}s (${ofKind.length}):`);
    for (const item of ofKind) {
      out.push(`  ${item.id}  [${item.origin}]${item.description ? `\n    ${item.description}` : ''}`);
      const props = (item.options.properties ?? {}) as Record<string, Prop>;
      const required = new Set((item.options.required as string[] | undefined) ?? []);
      for (const [name, p] of Object.entries(props)) {
        const def = p.default === undefined ? '' : ` = ${JSON.stringify(p.default)}`;
        const req = required.has(name) ? ' (required)' : '';
        out.push(`    ${name}: ${typeText(p)}${def}${req}${p.description ? ` — ${p.description}` : ''}`);
      }
      if (item.options.error) out.push(`    ${String(item.options.error)}`);
    }
    out.push('');
  }
  return out.join('\n');
}

function typeText(p: Prop): string {
  if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (p.const !== undefined) return JSON.stringify(p.const);
  const alts = p.anyOf ?? p.oneOf;
  if (alts) return alts.length > 4 ? `one of ${alts.length} kinds` : alts.map(typeText).join(' | ');
  if (p.type === 'array') return `${p.items ? typeText(p.items) : 'any'}[]`;
  if (Array.isArray(p.type)) return p.type.join(' | ');
  return p.type ?? 'any';
}
