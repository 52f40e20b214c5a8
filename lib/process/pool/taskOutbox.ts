/**
 * The tasks given to one worker in one tick, serialized together on the
 * next: one v8.serialize and one frame for a burst instead of one per task
 * (serializing is most of what a trivial task costs the parent).
 */
import type { Channel } from '../../channel/framedChannel';
import { encodeFrame } from '../../channel/framedChannel';
import { encodeTask } from '../taskInput';
import type { BatchMessage, TaskMessage } from '../taskRunner';

/** What the outbox sends: a pool's task, known here only by its message. */
export interface OutgoingTask {
  message: TaskMessage;
}

export class TaskOutbox<Task extends OutgoingTask> {
  private pending: Task[] = [];

  /** `refuse` takes a task whose arguments could not be serialized (ERR_FORKEXEC_UNSERIALIZABLE). */
  constructor(
    private readonly channel: Channel,
    private readonly refuse: (task: Task, error: Error) => void,
  ) {}

  add(task: Task): void {
    if (this.pending.length === 0) process.nextTick(this.flush);
    this.pending.push(task);
  }

  /** Takes back a task not yet written; false when it already went out. */
  withdraw(task: Task): boolean {
    const index = this.pending.indexOf(task);
    if (index < 0) return false;
    this.pending.splice(index, 1);
    return true;
  }

  private readonly flush = (): void => {
    const tasks = this.pending;
    this.pending = [];
    if (tasks.length === 0) return;
    try {
      const message: TaskMessage | BatchMessage =
        tasks.length === 1
          ? tasks[0].message
          : { type: 'batch', tasks: tasks.map((task) => task.message) };
      this.channel.sendFrame(encodeFrame(message));
      return;
    } catch {
      // Some task's arguments cannot cross (or the burst is over the frame
      // limit): send them one by one and refuse only the culprits.
    }
    for (const task of tasks) {
      try {
        this.channel.sendFrame(encodeTask(task.message));
      } catch (error) {
        this.refuse(task, error as Error);
      }
    }
  };
}
