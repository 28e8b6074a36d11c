/**
 * Writes docs/configuration.md and config/default.yaml from the config schema.
 *   npx tsx scripts/gen-config.ts          write both files
 *   npx tsx scripts/gen-config.ts --check  exit 1 if a file on disk differs from what would be written
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigurationMarkdown, renderDefaultYaml } from '../src/config/render.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outputs = [
  { path: join(root, 'docs', 'configuration.md'), text: renderConfigurationMarkdown() },
  { path: join(root, 'config', 'default.yaml'), text: renderDefaultYaml() },
];

function current(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const check = process.argv.includes('--check');
const stale = outputs.filter((o) => current(o.path) !== o.text).map((o) => relative(root, o.path));

if (check) {
  if (stale.length > 0) {
    console.error(`Out of date with src/config/schema.ts: ${stale.join(', ')}. Run: npx tsx scripts/gen-config.ts`);
    process.exit(1);
  }
  console.log('docs/configuration.md and config/default.yaml are up to date.');
} else {
  for (const o of outputs) {
    mkdirSync(dirname(o.path), { recursive: true });
    writeFileSync(o.path, o.text);
  }
  console.log(stale.length > 0 ? `Wrote ${stale.join(', ')}.` : 'Nothing to change.');
}
