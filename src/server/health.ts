// /healthz, /livez and /readyz as kube-apiserver answers them: `ok`, `?verbose` listing each check,
// `/readyz/<check>` for one check, and `?exclude=<check>`. Failing details are withheld from the body.

export interface HealthCheck {
  name: string;
  check(): Promise<void> | void;
  /** Something worth knowing that does not make the check fail (shown with ?verbose). */
  note?(): string | undefined;
  /** What ?verbose may say about a failure (nothing secret; default: "reason withheld"). */
  publicReason?(err: unknown): string;
  /** Only on these endpoints (e.g. healthz and readyz, not livez); default: all. */
  endpoints?: string[];
}

export class HealthChecks {
  constructor(private readonly checks: HealthCheck[]) {}

  add(c: HealthCheck): void {
    this.checks.push(c);
  }

  async run(endpoint: string, path: string, query: URLSearchParams): Promise<{ code: number; body: string; failures: string[] }> {
    const sub = path.slice(`/${endpoint}`.length).replace(/^\//, '');
    const excluded = new Set(query.getAll('exclude'));
    const here = this.checks.filter((c) => !c.endpoints || c.endpoints.includes(endpoint));
    const selected = sub ? here.filter((c) => c.name === sub) : here.filter((c) => !excluded.has(c.name));
    if (sub && !selected.length) return { code: 404, body: '404 page not found\n', failures: [] };
    const lines: string[] = [];
    const failures: string[] = [];
    for (const c of selected) {
      try {
        await c.check();
        const note = c.note?.();
        lines.push(note ? `[+]${c.name} ok (${note})` : `[+]${c.name} ok`);
      } catch (err) {
        lines.push(`[-]${c.name} failed: ${c.publicReason?.(err) ?? 'reason withheld'}`);
        failures.push(`${c.name}: ${(err as Error).message}`);
      }
    }
    const ok = failures.length === 0;
    if (sub) return { code: ok ? 200 : 500, body: ok ? 'ok' : `${lines.join('\n')}\n${endpoint} check failed\n`, failures };
    if (query.has('verbose') || !ok) {
      for (const ex of excluded) lines.push(`[+]${ex} excluded: ok`);
      return { code: ok ? 200 : 500, body: `${lines.join('\n')}\n${endpoint} check ${ok ? 'passed' : 'failed'}\n`, failures };
    }
    return { code: 200, body: 'ok', failures };
  }
}
