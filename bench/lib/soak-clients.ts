// The soak's workers. A SoakClient owns the Secrets it creates (label soak-owner=c<id>) and does one
// request at a time on its own keep-alive connection, so it knows the last acknowledged state of each
// and checks every read against it; it also races the other clients of its namespace on a few shared
// ("hot") Secrets, where 409s on PUT are the expected outcome. Watchers are in soak-watcher.ts.

import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { call, contentHash, Ledger, type Res, type Stats } from './soak-state.js';

export interface Tls {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

export function newClient(url: string, tls: Tls, watch = false): Client {
  return new Client(url, {
    connect: { ca: tls.ca, cert: tls.cert, key: tls.key },
    keepAliveTimeout: 30_000,
    headersTimeout: 60_000,
    // A watch is quiet for as long as its namespace is (bookmarks come every minute).
    bodyTimeout: watch ? 0 : 60_000,
  });
}

const MAX_LIVE = 16;
const b64 = (n: number) => randomBytes(n).toString('base64');
const enc = encodeURIComponent;

/** Secret sizes from 100 B to 200 KB: mostly small, some medium, a few large (log-uniform in each). */
function pickSize(): { bytes: number; size: 'small' | 'medium' | 'large' } {
  const r = Math.random();
  const logU = (lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + Math.random() * (Math.log(hi) - Math.log(lo))));
  if (r < 0.7) return { bytes: logU(100, 2_000), size: 'small' };
  if (r < 0.95) return { bytes: logU(2_000, 20_000), size: 'medium' };
  return { bytes: logU(20_000, 200_000), size: 'large' };
}

function randomData(bytes: number): Record<string, string> {
  const keys = 1 + randomInt(4);
  const data: Record<string, string> = {};
  for (let i = 0; i < keys; i++) data[`k${i}`] = b64(Math.max(1, Math.floor(bytes / keys)));
  return data;
}

const sameData = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) =>
  contentHash({ data: a ?? {} }) === contentHash({ data: b ?? {} });

const pick = <T>(xs: T[]): T => xs[randomInt(xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Op = 'create' | 'get' | 'list' | 'update' | 'updateHot' | 'patchMerge' | 'patchStrategic' | 'patchJson' | 'apply' | 'delete' | 'deleteCollection' | 'serviceAccount' | 'tokenRequest' | 'namespace';
const WEIGHTS: [Op, number][] = [
  ['create', 14], ['get', 18], ['list', 8], ['update', 12], ['updateHot', 6], ['patchMerge', 6], ['patchStrategic', 5],
  ['patchJson', 5], ['apply', 6], ['delete', 6], ['deleteCollection', 1], ['serviceAccount', 2], ['tokenRequest', 2], ['namespace', 1],
];
const TOTAL = WEIGHTS.reduce((s, [, w]) => s + w, 0);
function pickOp(): Op {
  let r = Math.random() * TOTAL;
  for (const [op, w] of WEIGHTS) if ((r -= w) < 0) return op;
  return 'get';
}

export class SoakClient {
  /** Owned Secrets: name → the last acknowledged object. */
  private readonly live = new Map<string, any>();
  /** The resourceVersion each owned Secret had before its last write (a stale one for PUTs that must fail). */
  private readonly prevRv = new Map<string, string>();
  /** Owned names whose last write has an unknown outcome: re-read before anything else. */
  private readonly unsure = new Set<string>();
  private seq = 0;

  constructor(
    readonly id: number, readonly ns: string, readonly admin: boolean, private readonly http: Client,
    private readonly stats: Stats, private readonly ledger: Ledger, private readonly hot: string[],
  ) {}

  private get owner() {
    return `c${this.id}`;
  }
  private base(ns = this.ns) {
    return `/api/v1/namespaces/${ns}/secrets`;
  }
  private labels(size: string): Record<string, string> {
    return { soak: 'true', 'soak-owner': this.owner, 'soak-size': size };
  }
  private req(verb: string, method: string, path: string, o: Parameters<typeof call>[5]): Promise<Res | undefined> {
    return call(this.stats, this.http, verb, method, path, o);
  }
  private bad(kind: string, detail: string): void {
    this.stats.errors++;
    this.stats.problem(kind, detail);
  }

  async run(stopped: () => boolean, thinkMs: number): Promise<void> {
    while (!stopped()) {
      try {
        if (this.unsure.size) await this.resync();
        else await this.step(pickOp());
      } catch (err) {
        this.bad('soak client bug', (err as Error).stack ?? String(err));
      }
      if (thinkMs > 0) await sleep(Math.random() * 2 * thinkMs);
    }
    await this.http.close().catch(() => {});
  }

  private async step(op: Op): Promise<void> {
    if (op === 'create' && this.live.size >= MAX_LIVE) op = 'delete';
    const needsOwn: Op[] = ['update', 'patchStrategic', 'patchJson', 'delete', 'deleteCollection'];
    if (needsOwn.includes(op) && this.live.size === 0) op = 'create';
    switch (op) {
      case 'create': return this.create();
      case 'get': return Math.random() < 0.25 || this.live.size === 0 ? this.getHot() : this.getOwn();
      case 'list': return Math.random() < 0.6 ? this.verifyOwn() : this.listBySize();
      case 'update': return this.update();
      case 'updateHot': return this.updateHot();
      case 'patchMerge': return this.patchMerge(Math.random() < 0.3 || this.live.size === 0);
      case 'patchStrategic': return this.patchStrategic();
      case 'patchJson': return this.patchJson();
      case 'apply': return this.apply(Math.random() < 0.15 || this.live.size === 0);
      case 'delete': return this.delete();
      case 'deleteCollection': return this.live.size >= 3 ? this.deleteCollection() : this.delete();
      case 'serviceAccount': return this.serviceAccount();
      case 'tokenRequest': return this.tokenRequest();
      case 'namespace': return this.admin ? this.namespace() : this.tokenRequest();
    }
  }

  private randomOwn(): [string, any] {
    return pick([...this.live.entries()]);
  }

  /** Takes an acknowledged write of an owned Secret into the ledger. */
  private acked(obj: any): void {
    const name = String(obj.metadata.name);
    const before = this.live.get(name);
    if (before) this.prevRv.set(name, String(before.metadata.resourceVersion));
    this.live.set(name, obj);
    this.ledger.wrote(this.ns, obj);
  }

  /** A write answered with an error: its outcome is unknown until the object is read again. */
  private unknown(name: string): void {
    this.unsure.add(name);
    const r = this.ledger.get(this.ns, name);
    if (r) r.uncertain = true;
  }

  private async resync(): Promise<void> {
    for (const name of [...this.unsure]) {
      const res = await this.req('get', 'GET', `${this.base()}/${name}`, { ok: [200, 404] });
      if (!res) return;
      this.unsure.delete(name);
      if (res.status === 200) {
        this.live.set(name, res.json);
        this.ledger.wrote(this.ns, res.json);
      } else {
        this.live.delete(name);
        this.ledger.deleted(this.ns, name);
      }
    }
  }

  /** Checks a read of an owned Secret against the ledger; a mismatch is counted and the ledger follows the server. */
  private checkRead(obj: any, how: string, lost = false): boolean {
    const name = String(obj.metadata.name);
    const r = this.ledger.get(this.ns, name);
    if (!r || r.deleted) {
      this.mismatch(lost, `${how}: ${this.ns}/${name} (rv ${obj.metadata.resourceVersion}) is there, but its last acknowledged operation was ${r ? 'a delete' : 'never a write'}`);
      return false;
    }
    if (r.uncertain) return true;
    const rv = Number(obj.metadata.resourceVersion);
    const hash = contentHash(obj);
    if (rv !== r.rv || hash !== r.hash) {
      this.mismatch(lost, `${how}: ${this.ns}/${name} read rv ${rv} content ${hash}, last acknowledged write rv ${r.rv} content ${r.hash}`);
      this.live.set(name, obj);
      Object.assign(r, { rv, hash });
      return false;
    }
    return true;
  }

  private mismatch(lost: boolean, detail: string): void {
    if (lost) this.stats.lostWrites++;
    else this.stats.readMismatches++;
    this.stats.problem(lost ? 'lost write' : 'read mismatch', detail);
  }

  private async create(): Promise<void> {
    const { bytes, size } = pickSize();
    const name = `${this.owner}-${this.seq++}`;
    const data = randomData(bytes);
    const useStringData = Math.random() < 0.1;
    const body = {
      apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, labels: this.labels(size) },
      ...(useStringData ? { stringData: { text: `plain ${name}` }, data } : { data }),
    };
    const want = useStringData ? { ...data, text: Buffer.from(`plain ${name}`).toString('base64') } : data;
    const res = await this.req('create', 'POST', this.base(), { body, ok: [201] });
    if (!res) return this.unknown(name);
    if (!sameData(res.json.data, want)) this.bad('bad response', `create ${this.ns}/${name}: the response's data is not what was sent`);
    this.acked(res.json);
  }

  private async getOwn(): Promise<void> {
    const [name] = this.randomOwn();
    const res = await this.req('get', 'GET', `${this.base()}/${name}`, { ok: [200], expected: [] });
    if (!res) return;
    this.checkRead(res.json, 'get');
  }

  private async getHot(): Promise<void> {
    const name = pick(this.hot);
    const before = { ...this.ledger.get(this.ns, name)! };
    const res = await this.req('get', 'GET', `${this.base()}/${name}`, { ok: [200] });
    if (!res) return;
    const rv = Number(res.json.metadata.resourceVersion);
    if (rv < before.rv) this.mismatch(false, `get ${this.ns}/${name}: read rv ${rv}, older than rv ${before.rv} acknowledged before the GET was sent`);
    else if (rv === before.rv && contentHash(res.json) !== before.hash) this.mismatch(false, `get ${this.ns}/${name}: rv ${rv} with content other than acknowledged`);
  }

  /** LIST own label in pages (limit/continue): exactly the owned Secrets, each as last acknowledged. */
  private async verifyOwn(): Promise<void> {
    const limit = 1 + randomInt(5);
    const items: any[] = [];
    let cont = '';
    for (;;) {
      const res = await this.req('list', 'GET', `${this.base()}?labelSelector=${enc(`soak-owner=${this.owner}`)}&limit=${limit}${cont ? `&continue=${enc(cont)}` : ''}`, { ok: [200], expected: cont ? [410] : [] });
      if (!res || res.status === 410) return;
      items.push(...res.json.items);
      if (res.json.items.length > limit) this.bad('bad response', `list limit=${limit} answered ${res.json.items.length} items`);
      cont = res.json.metadata?.continue ?? '';
      if (!cont) break;
    }
    const seen = new Set<string>();
    for (const it of items) {
      const name = String(it.metadata.name);
      if (seen.has(name)) this.bad('bad response', `paged list of ${this.owner} returned ${name} twice`);
      seen.add(name);
      if (this.unsure.has(name)) continue;
      this.checkRead(it, 'paged list', true);
    }
    for (const name of this.live.keys()) {
      if (!seen.has(name) && !this.unsure.has(name)) {
        const r = this.ledger.get(this.ns, name)!;
        this.mismatch(true, `paged list: ${this.ns}/${name} (acknowledged rv ${r.rv}) is missing`);
        this.live.delete(name);
        this.unknown(name);
      }
    }
  }

  /** LIST the namespace by a set-based selector, a few pages: every item must match it. */
  private async listBySize(): Promise<void> {
    const sel = Math.random() < 0.5 ? 'soak-size=large' : 'soak=true,soak-size notin (small)';
    let cont = '';
    for (let page = 0; page < 3; page++) {
      const res = await this.req('list', 'GET', `${this.base()}?labelSelector=${enc(sel)}&limit=20${cont ? `&continue=${enc(cont)}` : ''}`, { ok: [200], expected: cont ? [410] : [] });
      if (!res || res.status === 410) return;
      for (const it of res.json.items) {
        const l = it.metadata.labels ?? {};
        if (l['soak-size'] === 'small' || (sel === 'soak-size=large' && l['soak-size'] !== 'large')) this.bad('bad response', `list ${sel} returned ${it.metadata.name} labelled ${JSON.stringify(l)}`);
      }
      cont = res.json.metadata?.continue ?? '';
      if (!cont) return;
    }
  }

  /** PUT with the resourceVersion; one in five with a stale one, which must get 409. */
  private async update(): Promise<void> {
    const [name, cur] = this.randomOwn();
    const stale = Math.random() < 0.2 ? this.prevRv.get(name) : undefined;
    const obj = structuredClone(cur);
    delete obj.metadata.managedFields;
    const k = pick(Object.keys(obj.data ?? { k0: '' }));
    obj.data = { ...obj.data, [k]: b64(Math.max(1, Buffer.from(obj.data?.[k] ?? '', 'base64').length || 100)) };
    if (stale) obj.metadata.resourceVersion = stale;
    const res = await this.req('update', 'PUT', `${this.base()}/${name}`, { body: obj, ok: stale ? [] : [200], expected: stale ? [409] : [] });
    if (stale) {
      if (!res) this.unknown(name); // a stale PUT that was not refused with 409 may have overwritten
      return;
    }
    if (!res) return this.unknown(name);
    if (!sameData(res.json.data, obj.data)) this.bad('bad response', `update ${this.ns}/${name}: the response's data is not what was sent`);
    this.acked(res.json);
  }

  /** GET then PUT a shared Secret: racing clients of the namespace make 409 the expected outcome. */
  private async updateHot(): Promise<void> {
    const name = pick(this.hot);
    const got = await this.req('get', 'GET', `${this.base()}/${name}`, { ok: [200] });
    if (!got) return;
    const obj = got.json;
    delete obj.metadata.managedFields;
    obj.data = { ...obj.data, [`w${this.id}`]: b64(50 + randomInt(500)) };
    const res = await this.req('update', 'PUT', `${this.base()}/${name}`, { body: obj, ok: [200], expected: [409] });
    if (res?.status === 200) {
      if (!sameData(res.json.data, obj.data)) this.bad('bad response', `update ${this.ns}/${name}: the response's data is not what was sent`);
      this.ledger.wrote(this.ns, res.json, true);
    } else if (!res) {
      const r = this.ledger.get(this.ns, name);
      if (r) r.uncertain = true;
    }
  }

  private async patch(verb: string, name: string, type: string, body: unknown, check: (o: any) => boolean, hot: boolean, query = ''): Promise<void> {
    const res = await this.req(verb, 'PATCH', `${this.base()}/${name}${query}`, { body, contentType: type, ok: [200, 201] });
    if (!res) {
      if (hot) this.ledger.get(this.ns, name)!.uncertain = true;
      else this.unknown(name);
      return;
    }
    if (!check(res.json)) this.bad('bad response', `${verb} ${this.ns}/${name}: the response does not show the patch (${JSON.stringify(body).slice(0, 200)})`);
    if (hot) this.ledger.wrote(this.ns, res.json, true);
    else this.acked(res.json);
  }

  private async patchMerge(hot: boolean): Promise<void> {
    const name = hot ? pick(this.hot) : this.randomOwn()[0];
    const keys = hot ? [] : Object.keys(this.live.get(name).data ?? {});
    if (!hot && keys.length > 1 && Math.random() < 0.2) {
      const k = pick(keys);
      return this.patch('patch (merge)', name, 'application/merge-patch+json', { data: { [k]: null } }, (o) => !(k in (o.data ?? {})), false);
    }
    const k = hot ? `m${this.id}` : `k${randomInt(5)}`;
    const v = b64(20 + randomInt(2000));
    return this.patch('patch (merge)', name, 'application/merge-patch+json', { data: { [k]: v } }, (o) => o.data?.[k] === v, hot);
  }

  private async patchStrategic(): Promise<void> {
    const [name] = this.randomOwn();
    const gen = String(this.seq++);
    const v = b64(20 + randomInt(1000));
    return this.patch('patch (strategic)', name, 'application/strategic-merge-patch+json', { metadata: { labels: { 'soak-gen': gen } }, data: { s: v } },
      (o) => o.metadata?.labels?.['soak-gen'] === gen && o.data?.s === v, false);
  }

  /** A JSON patch that tests the resourceVersion first: it fails unless the server holds the acknowledged version. */
  private async patchJson(): Promise<void> {
    const [name, cur] = this.randomOwn();
    const v = b64(20 + randomInt(1000));
    const body = [
      { op: 'test', path: '/metadata/resourceVersion', value: String(cur.metadata.resourceVersion) },
      { op: 'add', path: '/data/j', value: v },
    ];
    return this.patch('patch (json)', name, 'application/json-patch+json', body, (o) => o.data?.j === v, false);
  }

  /** Server-side apply (force) of one key and the labels; sometimes of a new Secret. */
  private async apply(createNew: boolean): Promise<void> {
    let name: string;
    let size: string;
    if (createNew) {
      name = `${this.owner}-${this.seq++}`;
      size = 'small';
    } else {
      const [n, cur] = this.randomOwn();
      name = n;
      size = cur.metadata.labels?.['soak-size'] ?? 'small';
    }
    const v = b64(20 + randomInt(1500));
    const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name, labels: this.labels(size) }, data: { applied: v } };
    return this.patch('apply', name, 'application/apply-patch+yaml', body, (o) => o.data?.applied === v, false, `?fieldManager=soak-${this.owner}&force=true`);
  }

  private async delete(): Promise<void> {
    const [name, cur] = this.randomOwn();
    const pre = Math.random() < 0.3;
    const body = pre ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: String(cur.metadata.resourceVersion) } } : undefined;
    const res = await this.req('delete', 'DELETE', `${this.base()}/${name}`, { body, ok: [200, 202] });
    if (!res) return this.unknown(name);
    this.live.delete(name);
    this.prevRv.delete(name);
    this.ledger.deleted(this.ns, name);
  }

  /** DELETE the collection of the client's own label: it must delete exactly the owned Secrets. */
  private async deleteCollection(): Promise<void> {
    const res = await this.req('deletecollection', 'DELETE', `${this.base()}?labelSelector=${enc(`soak-owner=${this.owner}`)}`, { ok: [200] });
    const names = [...this.live.keys()];
    if (!res) {
      for (const n of names) this.unknown(n);
      this.live.clear();
      return;
    }
    const got = new Set<string>((res.json.items ?? []).map((i: any) => String(i.metadata.name)));
    for (const n of names) {
      if (!got.has(n)) this.mismatch(true, `deletecollection soak-owner=${this.owner}: ${this.ns}/${n} (acknowledged rv ${this.ledger.get(this.ns, n)?.rv}) was not among the deleted`);
      this.ledger.deleted(this.ns, n);
    }
    for (const n of got) if (!this.live.has(n)) this.mismatch(true, `deletecollection soak-owner=${this.owner}: deleted ${n}, which was not a live acknowledged write`);
    this.live.clear();
    this.prevRv.clear();
  }

  private async serviceAccount(): Promise<void> {
    const name = `sa-${this.owner}-${this.seq++}`;
    const base = `/api/v1/namespaces/${this.ns}/serviceaccounts`;
    if (!(await this.req('serviceaccount create', 'POST', base, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } }, ok: [201] }))) return;
    await this.req('serviceaccount get', 'GET', `${base}/${name}`, { ok: [200] });
    await this.req('serviceaccount list', 'GET', `${base}?limit=5`, { ok: [200] });
    await this.req('serviceaccount delete', 'DELETE', `${base}/${name}`, { ok: [200, 202] });
  }

  private async tokenRequest(): Promise<void> {
    const res = await this.req('tokenrequest', 'POST', `/api/v1/namespaces/${this.ns}/serviceaccounts/soak/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } }, ok: [200, 201],
    });
    if (res && !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(res.json?.status?.token ?? '')) this.bad('bad response', `tokenrequest in ${this.ns}: no JWT in status.token`);
  }

  /** Admins only: a throwaway namespace with a Secret in it, read, listed and deleted. */
  private async namespace(): Promise<void> {
    const name = `soak-tmp-${this.owner}-${this.seq++}`;
    if (!(await this.req('namespace create', 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, ok: [201] }))) return;
    await this.req('create', 'POST', `/api/v1/namespaces/${name}/secrets`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tmp' }, data: { a: b64(100) } }, ok: [201] });
    await this.req('namespace get', 'GET', `/api/v1/namespaces/${name}`, { ok: [200] });
    await this.req('namespace list', 'GET', '/api/v1/namespaces?limit=10', { ok: [200] });
    await this.req('namespace delete', 'DELETE', `/api/v1/namespaces/${name}`, { ok: [200, 202] });
  }
}
