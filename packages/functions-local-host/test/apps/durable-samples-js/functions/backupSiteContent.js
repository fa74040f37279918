// Fan-out/fan-in: one activity per file under the input directory, each writing the file to a
// blob output binding and returning its size; the orchestration returns the total bytes.
const path = require('node:path');
const fs = require('node:fs/promises');
const { output } = require('@azure/functions');
const df = require('durable-functions');

const getFileList = 'getFileList';
const copyFileToBlob = 'copyFileToBlob';

df.app.orchestration('backupSiteContent', function* (context) {
  const rootDir = context.df.getInput();
  if (!rootDir) throw new Error('A directory path is required as an input.');
  const root = path.resolve(rootDir);
  const files = yield context.df.callActivity(getFileList, root);
  const copies = files.map((filePath) => context.df.callActivity(copyFileToBlob, { backupPath: path.relative(root, filePath), filePath }));
  const sizes = yield context.df.Task.all(copies);
  return sizes.reduce((total, size) => total + size, 0);
});

df.app.activity(getFileList, {
  handler: async (rootDirectory) => {
    const entries = await fs.readdir(rootDirectory, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
  },
});

const blobOutput = output.storageBlob({ path: 'backups/{backupPath}', connection: 'StorageConnString' });

df.app.activity(copyFileToBlob, {
  extraOutputs: [blobOutput],
  handler: async ({ filePath }, context) => {
    const contents = await fs.readFile(filePath);
    context.extraOutputs.set(blobOutput, contents);
    return contents.length;
  },
});
