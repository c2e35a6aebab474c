import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { binanceAgainst } from '../../../platform/exchange-server/ccxt-client.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('npm run exchange', () => {
  it('prints the URL it listens on, serves ccxt, and stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'platform/cli/exchange.ts',
        '--port',
        '0',
        '--speed',
        '0',
        '--balance',
        'USDT=1234',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
      });
      const exchange = binanceAgainst(url, { apiKey: 'cli-test', secret: 's' });
      expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 1234 });
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
