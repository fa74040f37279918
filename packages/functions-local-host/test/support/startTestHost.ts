import { inject } from 'vitest';
import { startHost, type HostOptions, type RunningHost } from '../../src/host.js';

export interface HostLogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface TestHost extends RunningHost {
  /** Everything the host and the app logged, for assertions. */
  logs: HostLogEntry[];
}

/**
 * Starts the local host in-process on a free port for an app directory, against the integration
 * project's shared Azurite (no state on disk). Call `stop()` in `afterAll`.
 */
export async function startTestHost(appDir: string, options: Partial<HostOptions> = {}): Promise<TestHost> {
  const logs: HostLogEntry[] = [];
  const host = await startHost({
    appDir,
    port: 0,
    inMemory: true,
    ...options,
    env: { AzureWebJobsStorage: inject('azuriteConnectionString'), ...options.env },
    log: (level, message) => {
      logs.push({ level, message });
      options.log?.(level, message);
    },
  });
  return { ...host, logs };
}
