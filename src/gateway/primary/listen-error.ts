/**
 * A listen that failed, as a coded error naming the listener and the port, instead of Node's raw
 * `listen EADDRINUSE: address already in use :::9090` with a stack. Used for the API port check,
 * the ops listener and the demo backend, so every port problem reads the same.
 */
import { OutpostError } from '../../shared/errors.js';

export function listenError(err: unknown, listener: string, port: number): OutpostError {
  if (err instanceof OutpostError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') {
    return new OutpostError('OUTPOST_ERR_PORT_IN_USE', `${listener} port ${port} is already in use (EADDRINUSE); is another gateway running?`);
  }
  if (code === 'EACCES') {
    return new OutpostError('OUTPOST_ERR_PORT_UNAVAILABLE', `${listener} port ${port} needs privileges (EACCES): ports below 1024 need CAP_NET_BIND_SERVICE`);
  }
  return new OutpostError('OUTPOST_ERR_PORT_UNAVAILABLE', `${listener} port ${port} cannot be bound (${code ?? (err instanceof Error ? err.message : String(err))})`);
}
