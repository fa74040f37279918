// Activities of the durable sample app.
const fs = require('node:fs');
const df = require('durable-functions');

df.app.activity('Hello', { handler: (name) => `Hello ${name}` });

/** Appends a line to a file, so tests can count how often an activity really ran. */
df.app.activity('Record', {
  handler: (input) => {
    fs.appendFileSync(input.file, `${input.line}\n`);
    return input.line;
  },
});

const failuresSoFar = new Map();

/** Fails its first `failures` runs for a key, then succeeds. */
df.app.activity('Flaky', {
  handler: (input) => {
    const seen = failuresSoFar.get(input.key) ?? 0;
    if (seen < input.failures) {
      failuresSoFar.set(input.key, seen + 1);
      throw new Error(`flaky failure ${seen + 1}`);
    }
    return `ok after ${seen}`;
  },
});

/** Fails until a file exists: an instance it failed can be rewound once the file is there. */
df.app.activity('FailsUntilFile', {
  handler: (file) => {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing`);
    return `found ${file}`;
  },
});

df.app.activity('Broken', {
  handler: () => {
    throw new Error('kaput');
  },
});

/** Blocks until a file exists, so a test can act while the orchestration sits in an activity. */
df.app.activity('WaitForFile', {
  handler: async (file) => {
    while (!fs.existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 20));
    return 'released';
  },
});

/** Records its start, waits for a file, records its end: a test stops the host while it runs. */
df.app.activity('RecordAroundGate', {
  handler: async ({ file, gateFile }) => {
    fs.appendFileSync(file, 'start\n');
    while (!fs.existsSync(gateFile)) await new Promise((resolve) => setTimeout(resolve, 20));
    fs.appendFileSync(file, 'end\n');
    return 'end';
  },
});

let running = 0;

/** Reports how many of its own kind ran at once (host.json allows 4 concurrent activities). */
df.app.activity('Concurrent', {
  handler: async () => {
    running++;
    const seen = running;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const peak = Math.max(seen, running);
    running--;
    return peak;
  },
});
