// A tiny "container" for the agent's tests: serves GET /healthz on 127.0.0.1:<--port>.
// --message=TEXT is printed at start (log tests); --unhealthy-file=PATH makes /healthz answer 500
// while that file contains this process's pid (liveness tests); --stop-log=PATH gets
// "<--name>" appended on SIGTERM (stop-order tests); --ignore-term keeps running after SIGTERM.
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';

const flags = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, ...v] = a.replace(/^--/, '').split('=');
    return [k, v.length ? v.join('=') : 'true'];
  }),
);

function unhealthy() {
  if (!flags['unhealthy-file']) return false;
  try {
    return readFileSync(flags['unhealthy-file'], 'utf8').trim() === String(process.pid);
  } catch {
    return false;
  }
}

const server = http.createServer((req, res) => {
  const ok = req.url === '/healthz' && !unhealthy();
  res.writeHead(ok ? 200 : 500).end(ok ? 'ok' : 'unhealthy');
});
server.listen(Number(flags.port ?? 0), '127.0.0.1', () => {
  console.log(`started pid=${process.pid} message=${flags.message ?? ''}`);
  console.error(`listening on ${server.address().port}`);
});

process.on('SIGTERM', () => {
  if (flags['stop-log']) appendFileSync(flags['stop-log'], `${flags.name ?? 'fixture'}\n`);
  if (flags['ignore-term'] === 'true') return;
  server.close();
  server.closeAllConnections();
});
