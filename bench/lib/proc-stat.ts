// CPU time from Linux /proc (USER_HZ = 100): the benches report who used the machine over a window.
// Both answer undefined where /proc is not there.

import { readFileSync } from 'node:fs';

/** Busy time of the whole machine in ms, from /proc/stat (all CPUs, USER_HZ = 100). */
export function machineCpuMs(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * 10;
  } catch {
    return undefined;
  }
}

/** utime+stime of a process in ms, from /proc/<pid>/stat (clock ticks, USER_HZ = 100 on Linux). */
export function procCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

/** CPU use over a window in % of one core: this process, the named processes, and the rest of the machine. */
export interface CpuShares {
  self: number;
  procs: Record<string, number | undefined>;
  /** Busy time of everything else on the machine (undefined without /proc). */
  other?: number;
}

/** Snapshots CPU at start() and end(); shares() turns the difference into % of one core over `seconds`. */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const snap = () => ({
    self: process.cpuUsage(),
    procs: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuMs(pid)])),
    machine: machineCpuMs(),
  });
  let a = snap();
  let b = a;
  return {
    start() { a = snap(); },
    end() { b = snap(); },
    shares(seconds: number): CpuShares {
      const pct = (ms: number) => ms / 10 / seconds;
      const self = pct((b.self.user - a.self.user + b.self.system - a.self.system) / 1000);
      const procs: Record<string, number | undefined> = {};
      let named = 0;
      let known = true;
      for (const k of Object.keys(pids)) {
        const x = a.procs[k] !== undefined && b.procs[k] !== undefined ? pct(b.procs[k]! - a.procs[k]!) : undefined;
        procs[k] = x;
        if (x === undefined) known = false;
        else named += x;
      }
      const other = known && a.machine !== undefined && b.machine !== undefined ? Math.max(0, pct(b.machine - a.machine) - self - named) : undefined;
      return { self, procs, other };
    },
  };
}
