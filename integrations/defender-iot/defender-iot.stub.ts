/**
 * A Defender for IoT on-premises management console stand-in, as Microsoft documents it ("Alert
 * management API reference for on-premises management consoles"): `Authorization: <token>`;
 * `PUT /external/v1/alerts/<UUID>` `{action: handle | handleAndLearn}` → 200 `{content}` with the
 * documented "already handled" answers, 500 `{error}` for an invalid action or an unknown UUID;
 * `POST /external/v1/maintenanceWindow` → 201, 409 when the ticket ID has an open window, 400
 * for a missing ticketId or a bad ttl/engine; `DELETE` `{ticketId}` → 200, 404 when not open.
 * Windows end by themselves when their TTL runs out (on the stub's clock).
 */
import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';

export const DEFENDER_IOT_ALERTS_PATH = '/external/v1/alerts';
export const DEFENDER_IOT_MAINTENANCE_PATH = '/external/v1/maintenanceWindow';

const ENGINES = new Set(['ANOMALY', 'MALWARE', 'OPERATIONAL', 'POLICY_VIOLATION', 'PROTOCOL_VIOLATION']);

export interface DefenderIotStubOptions {
  apiToken?: string;
  /** Alert UUIDs that exist; default any. */
  alerts?: readonly string[];
  /** Sensor IDs that exist; default any. */
  sensors?: readonly string[];
  /** Clock for window TTLs, for tests. */
  now?: () => number;
}

export type DefenderAlertState = 'unhandled' | 'handled' | 'handledAndLearned';

export interface OpenWindow {
  ticketId: string;
  ttl: number;
  engines: string[];
  sensorIds: string[];
  subnets: string[];
  openedAt: number;
}

export interface DefenderIotStub extends StubServer {
  alerts: ReadonlyMap<string, DefenderAlertState>;
  /** Maintenance windows open now (expired ones dropped), by ticket ID. */
  openWindows(): ReadonlyMap<string, OpenWindow>;
}

export async function startDefenderIotStub(options: DefenderIotStubOptions = {}): Promise<DefenderIotStub> {
  const apiToken = options.apiToken ?? 'defender-iot-test-token';
  const now = options.now ?? Date.now;
  const alerts = new Map<string, DefenderAlertState>();
  const windows = new Map<string, OpenWindow>();

  const openWindows = () => {
    for (const [id, w] of windows) if (now() >= w.openedAt + w.ttl * 60_000) windows.delete(id);
    return windows;
  };
  const json = (req: StubRequest): Record<string, unknown> => {
    try {
      const parsed: unknown = JSON.parse(req.rawBody);
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const strings = (value: unknown): string[] | undefined =>
    value === undefined ? [] : Array.isArray(value) ? value.map((v) => String(v)) : undefined;

  const alertAction = (uuid: string, action: unknown): StubResponse => {
    if (action !== 'handle' && action !== 'handleAndLearn') return { status: 500, body: { error: 'Invalid action' } };
    if (options.alerts !== undefined && !options.alerts.includes(uuid))
      return { status: 500, body: { error: "Couldn't execute request because no alert was found for this UUID" } };
    const state = alerts.get(uuid) ?? 'unhandled';
    let content = 'Alert update request finished successfully';
    if (action === 'handle') {
      if (state === 'handled') content = 'Alert was already handled';
      else if (state === 'handledAndLearned') content = 'Alert was already handled and learned. Ignored handle request';
      else alerts.set(uuid, 'handled');
    } else if (state === 'handledAndLearned') content = 'Alert was already handled and learned';
    else {
      if (state === 'handled') content = 'Alert was already handled. Handle and learn was performed on the alert';
      alerts.set(uuid, 'handledAndLearned');
    }
    return { status: 200, body: { content } };
  };

  const openWindow = (body: Record<string, unknown>): StubResponse => {
    const ticketId = typeof body['ticketId'] === 'string' ? body['ticketId'] : '';
    const ttl = Number(body['ttl']);
    const engines = strings(body['engines']);
    const sensorIds = strings(body['sensorIds']);
    const subnets = strings(body['subnets']);
    if (ticketId === '' || !Number.isInteger(ttl) || ttl <= 0 || engines === undefined || sensorIds === undefined)
      return { status: 400, body: { error: 'Bad Request' } };
    if (
      engines.some((e) => !ENGINES.has(e)) ||
      subnets === undefined ||
      subnets.some((s) => !/^[\d.:a-f]+\/\d+$/i.test(s))
    )
      return { status: 400, body: { error: 'Bad Request' } };
    if (options.sensors !== undefined && sensorIds.some((s) => !options.sensors?.includes(s)))
      return { status: 404, body: { error: 'Sensor not found' } };
    if (openWindows().has(ticketId)) return { status: 409, body: { error: 'Ticket ID is linked to an open window' } };
    windows.set(ticketId, { ticketId, ttl, engines, sensorIds, subnets, openedAt: now() });
    return { status: 201 };
  };

  const handle = (req: StubRequest): StubResponse => {
    const token = req.headers.authorization ?? '';
    if (!secretEquals(token, apiToken)) return { status: 401, body: { error: 'Unauthorized' } };
    const alert = /^\/external\/v1\/alerts\/([^/]+)$/.exec(req.path);
    if (alert !== null && req.method === 'PUT')
      return alertAction(decodeURIComponent(alert[1] ?? ''), json(req)['action']);
    if (req.path === DEFENDER_IOT_MAINTENANCE_PATH) {
      if (req.method === 'POST') return openWindow(json(req));
      if (req.method === 'DELETE') {
        const ticketId = json(req)['ticketId'];
        if (typeof ticketId !== 'string' || ticketId === '') return { status: 400, body: { error: 'Bad Request' } };
        if (!openWindows().delete(ticketId)) return { status: 404, body: { error: 'Not Found' } };
        return { status: 200 };
      }
    }
    return { status: 404, body: { error: 'Not Found' } };
  };

  const server = await startRecordingServer({ handle, errorBody: (status) => ({ error: `HTTP ${status}` }) });
  return Object.assign(server, { alerts, openWindows });
}
