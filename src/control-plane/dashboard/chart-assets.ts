/**
 * The dashboard's chart library, uPlot, served from the installed package (never a CDN): the
 * page's Content-Security-Policy allows scripts and styles from the control plane itself only.
 * uPlot styles its elements through the CSSOM (element.style), which that policy permits, and
 * needs no inline script or style attribute. The files are read once, on first request.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Asset name under /dashboard/assets/ → the file in node_modules and its content type. */
const FILES: Record<string, { module: string; type: string }> = {
  'uPlot.iife.min.js': { module: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { module: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
};

const loaded = new Map<string, { type: string; body: string }>();

/** The library file by asset name, or undefined when the name is not one of them. */
export function chartAsset(name: string): { type: string; body: string } | undefined {
  if (!Object.hasOwn(FILES, name)) return undefined;
  let asset = loaded.get(name);
  if (!asset) {
    const file = FILES[name];
    asset = { type: file.type, body: readFileSync(require.resolve(file.module), 'utf8') };
    loaded.set(name, asset);
  }
  return asset;
}
