/**
 * gateway.cpuAffinity in a worker: the thread pins itself (pthread_setaffinity_np acts on the
 * calling thread, so the primary cannot do it for the worker). One line either way, with the
 * kernel's thread id so an operator can check /proc/<pid>/task/<tid>/status. Without the native
 * addon nothing happens here: the primary has already said that pinning is off.
 */
import { nativeAddon } from '../native.js';
import { log } from '../../shared/log.js';

export function pinWorkerThread(cpu: number): boolean {
  const addon = nativeAddon();
  if (addon === null) return false;
  const tid = addon.currentThreadId();
  const pinned = addon.pinThread(cpu);
  if (pinned) log('info', 'worker thread pinned to a CPU', { cpu, tid });
  else log('warn', 'worker thread not pinned: the kernel refused the CPU (not in the CPUs this process may use?)', { cpu, tid, field: 'gateway.cpuAffinity' });
  return pinned;
}
