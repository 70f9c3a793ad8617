/**
 * The compiler thread's nice value (compile-task.ts sets it on itself): a lower priority than the
 * request workers (nice 10: about a tenth of a worker's CPU share when both want a core). A reload
 * of a large config then takes longer only when the workers are busy, and requests do not wait
 * behind seconds of compiling. Without the native addon the thread keeps the process's priority.
 * In its own module so that bench:large can find the thread by it without importing compile-task,
 * whose import renices the importing thread.
 */
export const COMPILER_NICE = 10;
