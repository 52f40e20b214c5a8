/** Whether handles keep the event loop alive, switched together. */
export interface Refable {
  ref(): void;
  unref(): void;
}

export function setRefs(on: boolean, ...handles: Refable[]): void {
  for (const handle of handles) {
    if (on) handle.ref();
    else handle.unref();
  }
}
