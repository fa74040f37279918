import type { TestProject } from 'vitest/node';
import { startAzurite } from '@guest-email-change/functions-local-host';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the Azurite Table service started for this run. */
    azuriteConnectionString: string;
  }
}

/** Starts one in-memory Azurite for the integration project and stops it at the end. */
export default async function setup(project: TestProject) {
  const azurite = await startAzurite();
  project.provide('azuriteConnectionString', azurite.connectionString);
  return () => azurite.stop();
}
