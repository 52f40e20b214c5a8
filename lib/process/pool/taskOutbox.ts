/**
 * The tasks given to one worker in one tick, written together on the next
 * in one write. A task whose arguments are primitives goes in the compact
 * encoding, naming its target by a slot number the worker learnt from the
 * first (v8) task with that target; the other tasks of a burst share one
 * v8.serialize (serializing is most of what a trivial task costs the parent).
 */
import type { Channel } from '../../channel/framedChannel';
import { encodeCompactTaskFrame, encodeFrame } from '../../channel/framedChannel';
import type { TargetSpec } from '../target';
import { encodeTask } from '../taskInput';
import type { BatchMessage, TaskMessage } from '../taskRunner';

/** What the outbox sends: a pool's task, known here only by its message. */
export interface OutgoingTask {
  message: TaskMessage;
}

export class TaskOutbox<Task extends OutgoingTask> {
  private pending: Task[] = [];
  /** The slot of each target this worker has been sent. */
  private readonly slots = new Map<TargetSpec, number>();
  private nextSlot = 0;

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

  private compact(message: TaskMessage): Buffer | undefined {
    if (message.init) return undefined;
    const slot = this.slots.get(message.target);
    if (slot === undefined) return undefined;
    return encodeCompactTaskFrame(message.id, slot, message.args, message.each === true);
  }

  /** A v8 task that teaches the worker a slot for its target when it has none yet. */
  private full(message: TaskMessage): TaskMessage {
    if (message.init || this.slots.has(message.target)) return message;
    const slot = this.nextSlot++;
    this.slots.set(message.target, slot);
    return { ...message, slot };
  }

  private readonly flush = (): void => {
    const tasks = this.pending;
    this.pending = [];
    if (tasks.length === 0) return;
    const frames: Buffer[] = [];
    let rest: TaskMessage[] = [];
    for (const task of tasks) {
      const frame = this.compact(task.message);
      if (frame) {
        if (rest.length) frames.push(...this.encodeAll(rest, tasks));
        rest = [];
        frames.push(frame);
      } else rest.push(this.full(task.message));
    }
    if (rest.length) frames.push(...this.encodeAll(rest, tasks));
    this.channel.sendFramesNow(frames);
  };

  /** One frame for `messages` (one v8.serialize), or one each when some cannot cross. */
  private encodeAll(messages: TaskMessage[], tasks: Task[]): Buffer[] {
    try {
      const message: TaskMessage | BatchMessage =
        messages.length === 1 ? messages[0] : { type: 'batch', tasks: messages };
      return [encodeFrame(message)];
    } catch {
      // Some task's arguments cannot cross (or the burst is over the frame
      // limit): send them one by one and refuse only the culprits.
    }
    const frames: Buffer[] = [];
    for (const message of messages) {
      try {
        frames.push(encodeTask(message));
      } catch (error) {
        // The worker never learns a slot carried by a task it never gets.
        if (message.slot !== undefined) this.slots.delete(message.target);
        const task = tasks.find((t) => t.message.id === message.id) as Task;
        this.refuse(task, error as Error);
      }
    }
    return frames;
  }
}
