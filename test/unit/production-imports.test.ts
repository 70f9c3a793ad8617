/**
 * What ships is dist/src with `npm ci --omit=dev` (the Dockerfile prunes dev packages, the systemd
 * install does the same): every package that compiled code under dist/src imports must be a
 * production dependency, or the installed gateway fails at the first import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>; devDependencies: Record<string, string>;
};

/** `import … from 'x'` and `export … from 'x'` statements, `import 'x'`, and `import('x')` with a literal specifier. */
const IMPORTS = [
  /^\s*(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"\n]+)['"]/gm,
  /^\s*import\s*['"]([^'"\n]+)['"]/gm,
  /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g,
];

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? jsFiles(path) : e.name.endsWith('.js') ? [path] : [];
  });
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or null for relative and builtin ones. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtinModules.includes(name) ? null : name;
}

test('packageOf reads package names from specifiers', () => {
  assert.equal(packageOf('yaml'), 'yaml');
  assert.equal(packageOf('@scope/pkg/sub/path.js'), '@scope/pkg');
  assert.equal(packageOf('./local.js'), null);
  assert.equal(packageOf('node:fs'), null);
  assert.equal(packageOf('fs'), null);
});

test('every package imported under dist/src is a production dependency', () => {
  const files = jsFiles(resolve(root, 'dist/src'));
  assert.ok(files.length > 20, `expected the built sources, found ${files.length} files`);
  const offending: string[] = [];
  const used = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of IMPORTS.flatMap((re) => [...text.matchAll(re)])) {
      const name = packageOf(specifier);
      if (name === null) continue;
      used.add(name);
      if (!(name in pkg.dependencies)) offending.push(`${file.slice(root.length + 1)} imports ${name}${name in pkg.devDependencies ? ' (a devDependency)' : ''}`);
    }
  }
  assert.deepEqual(offending, []);
  // The scan must actually see imports (a regex that matched nothing would pass vacuously).
  for (const name of ['yaml', 'zod', 'piscina']) assert.ok(used.has(name), `expected dist/src to import ${name}`);
});

test('bench-only packages are not production dependencies', () => {
  // hdr-histogram-js is not one of them: the workers' telemetry records into it (src/gateway/telemetry) and the control plane merges it.
  for (const name of ['autocannon']) {
    assert.ok(!(name in pkg.dependencies), `${name} is used only by bench/ and belongs in devDependencies`);
    assert.ok(name in pkg.devDependencies, `${name} must stay available to bench/`);
  }
});
