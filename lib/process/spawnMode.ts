/**
 * The argument spawnStart passes to spawnMain, saying how fd 3 was made
 * and what will come on it (a file of its own so that neither side loads
 * the other's code).
 */

/** A blocking socket; the parent sends one task and nothing after it (a Process). */
export const SPAWN_ONE_TASK = '--forkexec-one-task';
/** A blocking socket; tasks keep coming until the parent closes it (a Pool worker). */
export const SPAWN_TASKS = '--forkexec-tasks';
