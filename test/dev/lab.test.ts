/**
 * Dev mode's simulated lab (src/dev/lab): it serves what the configuration points at on
 * loopback, with the configured credentials, leaves any other URL alone, shows what it received
 * without recording that, and says plainly when its port is taken.
 */
import { createServer } from 'node:net';
import { parseConfig } from '../../src/config/load';
import { LAB_INSPECT_PATH, startLab, type Lab } from '../../src/dev/lab/lab';
import type { Logger } from '../../src/logging';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function recordingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = { info: (_fields: unknown, message: string) => lines.push(message) } as unknown as Logger;
  return { log, lines };
}

const config = (crowdstrikeUrl: string, fortigateUrl: string) =>
  parseConfig(`
integrations:
  crowdstrike: { baseUrl: "${crowdstrikeUrl}", clientId: lab-client, clientSecret: lab-secret-0123 }
  fortigate: { baseUrl: "${fortigateUrl}", apiKey: lab-fortigate-key }
`);

describe('the simulated lab', () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });

  it('serves a loopback integration with its configured credentials, and leaves a real device alone', async () => {
    const port = await freePort();
    const { log, lines } = recordingLog();
    lab = await startLab(config(`http://127.0.0.1:${port}`, 'https://fw.plant.example.net'), log);
    expect(lab.vendors).toEqual([
      {
        id: 'crowdstrike',
        url: `http://127.0.0.1:${port}`,
        callsUrl: `http://127.0.0.1:${port}${LAB_INSPECT_PATH}`,
      },
    ]);
    expect(lines).toContain(
      'lab: no fortigate stand-in, integrations.fortigate.baseUrl https://fw.plant.example.net is not a loopback http:// URL',
    );
    expect(lines.at(-1)).toContain(`crowdstrike on http://127.0.0.1:${port}`);

    const wrong = await fetch(`http://127.0.0.1:${port}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'client_id=lab-client&client_secret=not-it',
    });
    expect(wrong.status).toBe(403);
    const right = await fetch(`http://127.0.0.1:${port}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'client_id=lab-client&client_secret=lab-secret-0123',
    });
    expect(right.status).toBe(201);
    expect(lines.filter((l) => l.startsWith('lab crowdstrike:'))).toEqual([
      'lab crowdstrike: POST /oauth2/token -> 403',
      'lab crowdstrike: POST /oauth2/token -> 201',
    ]);

    const view = (await (await fetch(`http://127.0.0.1:${port}${LAB_INSPECT_PATH}`)).json()) as {
      contained: string[];
      calls: { path: string; body: unknown }[];
    };
    // The inspection itself is not a vendor call; the secret never shows.
    expect(view.contained).toEqual([]);
    expect(view.calls.map((c) => c.path)).toEqual(['/oauth2/token', '/oauth2/token']);
    expect(JSON.stringify(view)).not.toContain('lab-secret-0123');
  });

  it('names the integration and the way out when its port is taken', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      await expect(
        startLab(config(`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${port}`), recordingLog().log),
      ).rejects.toThrow(
        new RegExp(
          `cannot start the fortigate stand-in on port ${port} \\(integrations.fortigate.baseUrl\\).*INTERLOCK_LAB=off`,
        ),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
