import { childProcesses } from './childProcesses.js';

/** Linux's USER_HZ: `/proc/<pid>/stat` counts CPU time in ticks of 1/100 s. */
const MS_PER_TICK = 10;

export interface CpuTime {
  /** This process: both apps' host, the Graph emulator and the driver. */
  hostMs: number;
  /** This process's children, i.e. Azurite. */
  azuriteMs: number;
}

/** CPU time (user + system) used so far by this process and by its children; subtract two to get a span's. */
export function cpuTime(): CpuTime {
  const own = process.cpuUsage();
  // utime and stime are the 12th and 13th fields after the command name.
  const ticks = childProcesses().reduce((sum, { stat }) => sum + Number(stat[11]) + Number(stat[12]), 0);
  return { hostMs: (own.user + own.system) / 1000, azuriteMs: ticks * MS_PER_TICK };
}
