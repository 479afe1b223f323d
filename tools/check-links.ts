/**
 * Checks the relative links of the README and docs/: every linked file or folder
 * exists, and every `#anchor` names a heading of its page (GitHub's slugs).
 *
 *   npx tsx tools/check-links.ts [file.md ...]     # exit 1 and a line per broken link
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

/** The broken links of one markdown file, as `file: target (why)`. */
export function brokenLinks(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const bad: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto: not checked here
    const [path, anchor] = target.split('#') as [string, string | undefined];
    const linked = path === '' ? file : resolve(dirname(file), path);
    if (!existsSync(linked)) {
      bad.push(`${file}: ${target} (no such file)`);
      continue;
    }
    if (anchor !== undefined && statSync(linked).isFile() && !anchors(linked).has(anchor)) {
      bad.push(`${file}: ${target} (no heading #${anchor})`);
    }
  }
  return bad;
}

const files =
  process.argv.length > 2
    ? process.argv.slice(2).map((f) => resolve(f))
    : [
        join(root, 'README.md'),
        ...readdirSync(join(root, 'docs'))
          .filter((f) => f.endsWith('.md'))
          .map((f) => join(root, 'docs', f)),
      ];
const bad = files.flatMap(brokenLinks);
for (const line of bad) console.log(line);
console.log(`${files.length} files, ${bad.length} broken links`);
process.exit(bad.length > 0 ? 1 : 0);
