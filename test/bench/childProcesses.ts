import fs from 'node:fs';

/** The `/proc` entries of this process's children (Azurite), as `stat` fields after the command name: state, ppid, …. */
export function childProcesses(): { pid: string; stat: string[] }[] {
  const children: { pid: string; stat: string[] }[] = [];
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (stat[1] === String(process.pid)) children.push({ pid, stat });
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}
