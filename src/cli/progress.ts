// Progress for long operations: a bar redrawn in place on a terminal, plain lines (at most one a
// second) otherwise, and always a final count line.

export class Progress {
  private lastLine = 0;
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly what: string,
  ) {}

  update(done: number, total: number, extra: string): void {
    const pct = total ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    if (this.out.isTTY) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      this.out.write(`\r${this.what} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${done}/${total} ${extra}`);
      return;
    }
    const now = Date.now();
    if (now - this.lastLine >= 1000) {
      this.lastLine = now;
      this.out.write(`${this.what}: ${done}/${total} (${pct}%) ${extra}\n`);
    }
  }

  finish(line: string): void {
    if (this.out.isTTY) this.out.write('\n');
    this.out.write(`${line}\n`);
  }
}
