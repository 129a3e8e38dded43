/**
 * A throwaway redis-server (Debian's package) for the tests and the benchmarks: on a free loopback port, nothing
 * written to disk, stopped by its PID. `redis-server --port 0` is not supported, so a free port is found first and
 * the start is retried if another process takes it in between.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  /** SIGSTOP: the server keeps its connections but answers nothing, like a hung host. */
  pause(): void;
  resume(): void;
  /** Kills the server (SIGKILL) and waits for it to exit; its data is gone (no persistence). */
  stop(): Promise<void>;
  /** A new server on the same port (after `stop`), empty. */
  restart(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts redis-server on `port` and resolves once it accepts connections; rejects if it exits first. */
function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', onExit);
    child.once('error', (error) => reject(new Error(`redis-server could not start (${error.message}). Install it: apt-get install redis-server`)));
  });
}

/** @example const redis = await startRedis(); … RELAY_STORE_URL: redis.url … await redis.stop(); */
export async function startRedis(): Promise<RedisServer> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error('redis-server is not installed: apt-get install redis-server (the tests start their own).');
  }
  let child: ChildProcess | null = null;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    child = await launch(port).catch(() => null);
  }
  if (!child) throw new Error('redis-server did not start on a free port after 5 tries.');
  let current: ChildProcess = child;
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.pid ?? 0;
    },
    pause: () => void current.kill('SIGSTOP'),
    resume: () => void current.kill('SIGCONT'),
    stop: () => new Promise<void>((resolve) => {
      if (current.exitCode !== null || current.signalCode !== null) return resolve();
      current.once('exit', () => resolve());
      current.kill('SIGCONT');
      current.kill('SIGKILL');
    }),
    async restart() {
      await server.stop();
      current = await launch(port);
    },
  };
  return server;
}
