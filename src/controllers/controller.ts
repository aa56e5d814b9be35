/** A background controller: runs on the elected server only, started afresh when it becomes leader. */
export interface Controller {
  start(): Promise<void> | void;
  stop(): void;
}
