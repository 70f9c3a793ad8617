/**
 * V8's memory reducer, off for the primary thread only.
 *
 * The reducer runs up to three full, compacting GCs of an isolate ~8 s after one of its full GCs
 * when the isolate then allocates little: it gives back the heap of a phase that made garbage and
 * went quiet. To it the primary always looks quiet (it supervises, merges telemetry, queues log
 * batches), and the primary shares a core with a request worker. Measured on the AMD VM (the
 * bench's layout: the whole gateway on one core, 20,000 requests/s open-loop): 8.4, 9.0 and 9.7 s
 * after every start, three GCs of the primary's ~16 MB heap (5-15 ms of pause and 11-17 ms of
 * incremental steps each) held the worker back, and the requests due then waited up to 20 ms: that
 * 10 s run's p99 was 11.9 ms against 2.0-2.3 ms in the runs after it.
 *
 * V8 gives an isolate its reducer when it creates the isolate, by the flag of that moment. So the
 * launchers start node with GATEWAY_NODE_FLAGS (npm start, the systemd unit, the container image,
 * the bench) and the primary turns the flag back on before it creates any thread: request workers
 * and the config compiler keep their reducers (a worker whose heap grew under load gives it back
 * once the traffic stops). Started without the flag, the gateway runs as before, reducer and all.
 *
 * The cost: the primary's heap is not shrunk when it goes quiet: 83-85 against 79-82 MB of RSS at
 * idle with the sample config on the AMD VM (the primary's heap is ~8 MB since it loads neither
 * the validate command, nor undici, nor ioredis unless it needs them); its garbage goes at its
 * ordinary GCs.
 */
import { setFlagsFromString } from 'node:v8';

/** What the gateway's launchers pass to node, before the script. */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];

/**
 * Call once, in the primary, before any worker or compiler thread exists. True when the primary
 * runs without its reducer (node was started with --no-memory-reducer); the threads created from
 * now on get theirs back either way.
 */
export function reducerOffForPrimaryOnly(execArgv: readonly string[] = process.execArgv): boolean {
  // The last of the two wins, as on node's command line; V8 reads '_' as '-' and takes --nofoo for --no-foo.
  let off = false;
  for (const arg of execArgv) {
    const flag = arg.replace(/_/g, '-');
    if (flag === '--memory-reducer') off = false;
    else if (flag === '--no-memory-reducer' || flag === '--nomemory-reducer') off = true;
  }
  if (!off) return false;
  setFlagsFromString('--memory-reducer');
  return true;
}
