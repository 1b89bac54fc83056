import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { AwsClientOptions } from '../../lambda/adapters/aws-clients';

/**
 * The integration tier's emulator: moto server from Debian's packages, installed by
 * test/emulator/install-moto.sh into .tools/moto, started per test file on 127.0.0.1 and a port the
 * server picks itself (test/emulator/moto-server.py prints it), stopped after the file.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TOOLS_DIR = process.env.SPOTWISE_MOTO_DIR ?? join(REPO, '.tools/moto');
const SITE_PACKAGES = join(TOOLS_DIR, 'root/usr/lib/python3/dist-packages');
const STAMP = join(TOOLS_DIR, 'installed.txt');
const PYTHON = '/usr/bin/python3';
const LAUNCHER = join(REPO, 'test/emulator/moto-server.py');
const START_TIMEOUT_MS = 30_000;

export type MotoStatus = { readonly available: true; readonly version: string } | { readonly available: false; readonly reason: string };

export const motoStatus = (): MotoStatus => {
  if (!existsSync(PYTHON)) return { available: false, reason: `${PYTHON} is missing` };
  if (!existsSync(STAMP) || !existsSync(join(SITE_PACKAGES, 'moto'))) {
    return { available: false, reason: `moto is not installed in ${TOOLS_DIR}: run \`bash test/emulator/install-moto.sh\` (npm test does)` };
  }
  return { available: true, version: readFileSync(STAMP, 'utf8').split('\n')[0] ?? 'moto' };
};

export interface MotoServer {
  readonly endpoint: string;
  /** Client options for the real adapters: the emulator's endpoint, a region, fake credentials. */
  readonly clientOptions: AwsClientOptions;
  stop(): Promise<void>;
}

export const startMoto = async (): Promise<MotoServer> => {
  const child = spawn(PYTHON, [LAUNCHER, '127.0.0.1'], {
    env: { ...process.env, PYTHONPATH: SITE_PACKAGES, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`moto server did not start within ${START_TIMEOUT_MS} ms; stderr:\n${stderr.slice(-2000)}`));
    }, START_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /moto listening on [\d.]+:(\d+)/.exec(stdout);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    // Drain stderr (werkzeug logs every request there) so the pipe never fills and blocks the server.
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`moto server exited before listening (code ${code}, signal ${signal}); stderr:\n${stderr.slice(-2000)}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    clientOptions: {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 3,
    },
    stop: () => stopChild(child),
  };
};

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    // Closing stdin is the launcher's signal to exit; SIGTERM as well in case it is busy.
    child.stdin?.end();
    child.kill('SIGTERM');
  });

/**
 * A describe block that runs against a fresh moto server. Without the emulator: under CI=true the block
 * fails with the reason (a missing tier must not pass as green); locally it is skipped and says why.
 */
export const describeWithMoto = (name: string, body: (moto: () => MotoServer) => void): void => {
  const status = motoStatus();
  if (!status.available) {
    if (process.env.CI === 'true') {
      describe(name, () => {
        it('needs the local AWS emulator (moto)', () => {
          throw new Error(`integration tier cannot run: ${status.reason}`);
        });
      });
    } else {
      console.warn(`[integration] skipping "${name}": ${status.reason}`);
      describe.skip(name, () => body(() => unreachable()));
    }
    return;
  }
  // One request at a time through a Python server, on 2 cores shared with the rest of the suite: give
  // each test more than the default 30 s (the tier as a whole takes under a minute).
  describe(name, { timeout: 120_000 }, () => {
    let server: MotoServer | undefined;
    beforeAll(async () => {
      server = await startMoto();
    });
    afterAll(async () => {
      await server?.stop();
    });
    body(() => {
      if (server === undefined) throw new Error('moto server not started (beforeAll failed)');
      return server;
    });
  });
};

const unreachable = (): never => {
  throw new Error('moto is not available');
};
