/**
 * An fd with one owner that closes it exactly once. After close() the number
 * is forgotten: fd numbers are reused at once (the next open, socketpair or
 * received SCM_RIGHTS in any thread takes the lowest free one), so a second
 * close of the same number would close somebody else's file.
 */
import { close } from './posix/fd';

export class OwnedFd {
  #fd: number | null;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** The fd number while it is open; null once closed. */
  get fd(): number | null {
    return this.#fd;
  }

  /** Closes it the first time; later calls do nothing. */
  close(): void {
    const fd = this.#fd;
    if (fd === null) return;
    this.#fd = null;
    close(fd);
  }
}
