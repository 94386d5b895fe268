/**
 * Dev mode's simulated lab: stand-ins for the EDR (CrowdStrike Falcon) and the firewall
 * (FortiGate) that the dev configuration's `integrations` point at, so that a newcomer's first
 * alert is contained instead of failing with "not configured". They are the vendor stubs the
 * tests use (integrations/<id>/<id>.stub.ts), answering as the vendors' APIs do.
 *
 * The configuration stays the one source of truth: a lab vendor is started only when its
 * integration is configured with a loopback `http://` base URL, on that port and with the
 * configured credentials. Point an integration at a real device and the lab leaves it alone.
 * Only `interlock dev` calls this (never api / worker); `INTERLOCK_LAB=off` turns it off.
 */
import type { InterlockConfig } from '../../config/schema';
import type { Logger } from '../../logging';
import { startCrowdStrikeStub } from '../../../integrations/crowdstrike/crowdstrike.stub';
import { startFortiGateStub } from '../../../integrations/fortigate/fortigate.stub';
import type { RecordedCall, StubObserver, StubServer } from './recording-server';

/** `GET <stub URL>/lab/calls`: the stand-in's state and every call it received. */
export const LAB_INSPECT_PATH = '/lab/calls';

export interface LabVendor {
  id: 'crowdstrike' | 'fortigate';
  /** Base URL the stand-in listens on (the configured one). */
  url: string;
  /** Where to see what it received. */
  callsUrl: string;
}

export interface Lab {
  vendors: LabVendor[];
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The port of a loopback http:// base URL, or why the lab does not serve it. */
function labPort(baseUrl: string): number | string {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) return `${url.origin} is not a loopback http:// URL`;
  if (url.port === '') return `${url.origin} names no port`;
  return Number(url.port);
}

function describeCall(call: Pick<RecordedCall, 'method' | 'path' | 'query' | 'status'>): string {
  const query = new URLSearchParams(call.query).toString();
  return `${call.method} ${call.path}${query === '' ? '' : `?${query}`} -> ${call.status}`;
}

export async function startLab(config: InterlockConfig, log: Logger): Promise<Lab> {
  const servers: StubServer[] = [];
  const vendors: LabVendor[] = [];
  const observer = (id: LabVendor['id'], port: number): StubObserver => ({
    port,
    inspectPath: LAB_INSPECT_PATH,
    // One line per vendor call: the dev terminal shows the containment as it happens.
    onCall: ({ method, path, query, body, status }) =>
      log.info(
        { lab: id, call: { method, path, query, body, status } },
        `lab ${id}: ${describeCall({ method, path, query, status })}`,
      ),
  });
  const close = async () => {
    await Promise.all(servers.map((s) => s.close()));
  };
  const start = async (id: LabVendor['id'], baseUrl: string, run: (port: number) => Promise<StubServer>) => {
    const port = labPort(baseUrl);
    if (typeof port === 'string') {
      log.info({ lab: id }, `lab: no ${id} stand-in, integrations.${id}.baseUrl ${port}`);
      return;
    }
    const server = await run(port).catch((error: unknown) => {
      throw new Error(
        `lab: cannot start the ${id} stand-in on port ${port} (integrations.${id}.baseUrl): ${
          error instanceof Error ? error.message : String(error)
        }; set INTERLOCK_LAB=off or another port`,
      );
    });
    servers.push(server);
    vendors.push({ id, url: server.url, callsUrl: `${server.url}${LAB_INSPECT_PATH}` });
  };

  try {
    const { crowdstrike, fortigate } = config.integrations;
    if (crowdstrike !== undefined)
      await start('crowdstrike', crowdstrike.baseUrl, (port) =>
        startCrowdStrikeStub({
          clientId: crowdstrike.clientId,
          clientSecret: crowdstrike.clientSecret,
          observe: observer('crowdstrike', port),
        }),
      );
    if (fortigate !== undefined)
      await start('fortigate', fortigate.baseUrl, (port) =>
        startFortiGateStub({
          apiKey: fortigate.apiKey,
          // Every VDOM the configuration enforces on exists on the simulated box.
          vdoms: [
            ...new Set([
              fortigate.vdom,
              ...config.enforcementPoints.flatMap((p) =>
                p.integration === 'fortigate' && p.vdom !== undefined ? [p.vdom] : [],
              ),
            ]),
          ],
          observe: observer('fortigate', port),
        }),
      );
  } catch (error) {
    await close();
    throw error;
  }
  if (vendors.length > 0)
    log.info(
      { lab: vendors },
      `simulated lab (dev only): ${vendors
        .map((v) => `${v.id} on ${v.url}`)
        .join(', ')}; what each received: GET ${vendors.map((v) => v.callsUrl).join(', GET ')}`,
    );
  return { vendors, close };
}
