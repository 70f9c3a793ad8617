/**
 * Loads uWebSockets.js' native binary directly. The package's own entry point silently falls back
 * to a slow pure-Node implementation when the binary does not load (it only prints a warning);
 * a gateway on that fallback would pass tests and fail in production, so we refuse to start.
 */
import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';
import { OutpostError } from '../../shared/errors.js';

export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
export type UwsModule = typeof UWS;

export function loadUws(): UwsModule {
  const require = createRequire(import.meta.url);
  const binary = `uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    return require(binary) as UwsModule;
  } catch (err) {
    throw new OutpostError('OUTPOST_ERR_UWS_NATIVE_MISSING',
      `uWebSockets.js native binary ${binary} did not load (${(err as Error).message}); refusing the slow fallback`);
  }
}

/** `app.close()` exists in this build but is missing from its typings. */
export function closeApp(app: UWS.TemplatedApp): void {
  (app as unknown as { close(): void }).close();
}
