import { startApplication } from './application.js';
import { readSettings } from './settings.js';

const settings = readSettings();
try {
  const { app, backend, url } = await startApplication(settings);
  console.log(`Ringcache sample (${backend.name}: ${backend.description})`);
  console.log(`  dashboard  ${url}/`);
  console.log(`  try        ${url}/api/products/42   ${url}/api/config   ${url}/api/stats   ${url}/health`);
  console.log('  Ctrl-C stops it.');
  // Not Nest's enableShutdownHooks: it re-raises the signal after closing, so `npm start` would
  // report a failed script on every Ctrl-C. Closing the app closes the cache and its adapter.
  const stop = async () => {
    console.log('\nstopping: closing the cache and its connections…');
    setTimeout(() => process.exit(1), 10_000).unref();
    await app.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`The sample could not start on CACHE_BACKEND=${settings.backend}:`, error);
  if (settings.backend !== 'memory')
    console.error('Is the engine running? `npm run servers:up` starts the test engines.');
  process.exitCode = 1;
}
