import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNodeVersion } from '../../src/cli/node-version.js';
import { OutpostError } from '../../src/shared/errors.js';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';

test('Node versions: 20, 22 and 24 pass; older ones get a coded error and exit 3', () => {
  for (const v of ['20.0.0', '20.20.2', '22.12.0', '24.1.0']) assert.doesNotThrow(() => checkNodeVersion(v), v);
  for (const v of ['18.20.4', '19.9.0', '16.0.0']) {
    assert.throws(() => checkNodeVersion(v), (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_NODE_UNSUPPORTED' && exitCodeFor(err) === EXIT.runtime, v);
  }
});
