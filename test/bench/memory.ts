import fs from 'node:fs';
import { childProcesses } from './childProcesses.js';

/** Resident memory (MiB) of this process's children, i.e. Azurite: now (`VmRSS`) or at its peak so far (`VmHWM`). */
export function childMemoryMiB(field: 'VmRSS' | 'VmHWM'): number {
  let total = 0;
  for (const { pid } of childProcesses()) {
    try {
      const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (kb) total += Number(kb[1]) / 1024;
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

/** Samples the peak resident memory of this process (the host) and of its children (Azurite) until stopped. */
export function samplePeakMemory(intervalMs = 250): { stop(): { hostMiB: number; azuriteMiB: number } } {
  const peak = { hostMiB: 0, azuriteMiB: 0 };
  const sample = () => {
    peak.hostMiB = Math.max(peak.hostMiB, process.memoryUsage().rss / 1024 / 1024);
    peak.azuriteMiB = Math.max(peak.azuriteMiB, childMemoryMiB('VmRSS'));
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
