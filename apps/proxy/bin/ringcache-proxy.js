#!/usr/bin/env node
// The `ringcache-proxy` binary. It lives outside dist/ on purpose: npm links a workspace's bins
// before the root `prepare` script builds dist/, and skips a bin whose file does not exist yet,
// so a bin pointing into dist/ would be missing after the first `npm install` of a fresh clone.
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write("ringcache-proxy: @ringcache/proxy is not built; run 'npm run build' first\n");
  process.exit(1);
}
await cli.main();
