import { app } from '@azure/functions';

/**
 * Streams HTTP bodies both ways instead of buffering them whole (issue 11: the CSV export goes out
 * page by page as the store yields them). The worker then serves HTTP itself and the Functions
 * host forwards each request to it; the setting is read when the worker reports its capabilities,
 * after every entry point has loaded, so the file's place in the `main` glob does not matter.
 */
app.setup({ enableHttpStream: true });
