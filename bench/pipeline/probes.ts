/* What bench/pipeline reads off the machine: CPU per process from /proc, Kafka lag, quantiles. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Admin } from 'kafkajs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system) a process has used so far; undefined once it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

const allPids = (): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);

/** A named group of processes whose CPU is counted together (an app's instances, the postgres backends of one database). */
export interface ProcessGroup {
  name: string;
  pids(): number[];
}

export const fixedGroup = (name: string, pids: readonly number[]): ProcessGroup => ({ name, pids: () => [...pids] });

export interface MatchingGroup extends ProcessGroup {
  /** The same processes but these (e.g. the backends serving the bench's own queries). */
  withoutPids(excluded: ReadonlySet<number>): ProcessGroup;
  /** Only these of the processes. */
  onlyPids(included: ReadonlySet<number>): ProcessGroup;
}

/** Processes whose command line matches: the Kafka JVM, redis-server, the backends serving one database. */
export const matchingGroup = (name: string, match: (cmdline: string) => boolean): MatchingGroup => {
  const pids = () => allPids().filter((pid) => match(cmdlineOf(pid)));
  return {
    name,
    pids,
    withoutPids: (excluded) => ({ name, pids: () => pids().filter((pid) => !excluded.has(pid)) }),
    onlyPids: (included) => ({ name, pids: () => pids().filter((pid) => included.has(pid)) }),
  };
};

export type CpuSnapshot = Map<string, Map<number, number>>;

export function cpuSnapshot(groups: readonly ProcessGroup[]): CpuSnapshot {
  const snap: CpuSnapshot = new Map();
  for (const g of groups) {
    const byPid = new Map<number, number>();
    for (const pid of g.pids()) {
      const s = cpuSecondsOf(pid);
      if (s !== undefined) byPid.set(pid, s);
    }
    snap.set(g.name, byPid);
  }
  return snap;
}

/** CPU seconds per group between two snapshots; a process born in between counts from zero. */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pids] of after) {
    let sum = 0;
    for (const [pid, s] of pids) sum += s - (before.get(name)?.get(pid) ?? 0);
    out[name] = sum;
  }
  return out;
}

/** Busy CPU seconds of the whole machine so far (every core, /proc/stat). */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
}

/** Messages of `topic` the group has not committed yet (a group that never committed lags by everything retained). */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  let lag = 0;
  for (const p of ends) {
    const at = byPartition.get(p.partition) ?? -1;
    lag += Number(p.high) - (at < 0 ? Number(p.low) : at);
  }
  return lag;
}

export interface Quantiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function quantiles(values: readonly number[]): Quantiles | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  return { n: sorted.length, p50: q(0.5), p99: q(0.99), max: sorted.at(-1)! };
}

export const fmtQ = (q: Quantiles | undefined): string => (q ? `${Math.round(q.p50)}/${Math.round(q.p99)}/${Math.round(q.max)}` : 'n/a');
