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
