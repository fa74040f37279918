import fs from 'node:fs';
import path from 'node:path';
import type { RouteHandler } from './nodeHttp.js';
import type { GraphEmulator } from './graphEmulator.js';

/**
 * Keeps the Graph emulator's tenant and outbox in the data folder, so a restarted `npm start`
 * continues with the same directory and mail as the orchestrations it resumes.
 */
export interface EmulatorState {
  /** Never handles a request: it saves the state after each one that may have changed it. */
  handle: RouteHandler;
  save(): void;
}

export function openEmulatorState(emulator: GraphEmulator, file: string): EmulatorState {
  if (fs.existsSync(file)) emulator.importState(JSON.parse(fs.readFileSync(file, 'utf8')));
  const save = () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Write then rename, so a crash mid-write leaves the previous state intact.
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(emulator.exportState()));
    fs.renameSync(temporary, file);
  };
  return {
    save,
    handle: async (req, res, url) => {
      const mutates = req.method !== 'GET' && req.method !== 'HEAD';
      if (mutates && (url.pathname.startsWith('/v1.0/') || url.pathname.startsWith('/_dev/'))) res.once('finish', save);
      return false;
    },
  };
}
