import { AlertCompletion } from '../../../src/intake/completion';
import { completeQRadarOffense, QRADAR_API_PROVENANCE } from '../../../src/intake/completion/qradar';
import { normalize } from '../../../src/intake/normalizers/qradar';
import { QRadarClient } from '../../../integrations/qradar';
import {
  QRADAR_LOCAL_DESTINATION_ADDRESSES_PATH,
  QRADAR_SOURCE_ADDRESSES_PATH,
  startQRadarStub,
  type QRadarStub,
} from '../../stubs';
import { contextFor } from '../normalizers/support';

/** A destination-IP offense on a PLC: addresses by ID only, as GET /api/siem/offenses returns them. */
const offense = {
  id: 6120,
  description: 'Modbus Write to PLC From Non-Engineering Host\n',
  offense_type: 1,
  offense_source: '10.20.1.7',
  severity: 9,
  magnitude: 8,
  start_time: 1763632200000,
  source_address_ids: [411],
  local_destination_address_ids: [87],
  categories: ['Suspicious Activity', 'Unknown Suspicious Event'],
  rules: [{ id: 100540, type: 'CRE_RULE' }],
};

describe('QRadar alert completion through the QRadar API', () => {
  let stub: QRadarStub;

  beforeAll(async () => {
    stub = await startQRadarStub({
      sourceAddresses: { 411: '10.10.4.17' },
      localDestinationAddresses: { 87: '10.20.1.7' },
    });
  });
  afterAll(() => stub.close());
  beforeEach(() => stub.reset());

  const ctx = contextFor('qradar', JSON.stringify(offense));
  const config = (over: Partial<{ token: string; timeout: number }> = {}) => ({
    baseUrl: stub.url,
    token: over.token ?? stub.token,
    timeout: over.timeout ?? 2_000,
    apiVersion: '12.0',
  });

  it('without completion, the source is unknown and the destination comes from the offense text', () => {
    const [alert] = normalize(offense, ctx);
    expect(alert?.src).toBeUndefined();
    expect(alert?.dst).toEqual({ ip: '10.20.1.7' });
    expect(alert?.provenance?.['dst.ip']).toBe('text');
  });

  it('resolves both sides through the API, with the documented headers, and records api:qradar', async () => {
    const completion = new AlertCompletion({ qradar: config() });
    const [alert] = await completion.complete(offense, ctx, normalize(offense, ctx));
    expect(alert?.src).toEqual({ ip: '10.10.4.17' });
    expect(alert?.dst).toEqual({ ip: '10.20.1.7' });
    expect(alert?.ips).toEqual(['10.10.4.17', '10.20.1.7']);
    expect(alert?.provenance).toMatchObject({ 'src.ip': QRADAR_API_PROVENANCE, 'dst.ip': QRADAR_API_PROVENANCE });

    const [src] = stub.callsTo(`${QRADAR_SOURCE_ADDRESSES_PATH}/411`);
    const [dst] = stub.callsTo(`${QRADAR_LOCAL_DESTINATION_ADDRESSES_PATH}/87`);
    expect(src?.headers).toMatchObject({ version: '12.0', accept: 'application/json' });
    expect(src?.query).toEqual({ fields: 'id,source_ip' });
    expect(dst?.status).toBe(200);
    // The token is sent (the stub authenticated it) but never recorded.
    expect(JSON.stringify(stub.calls)).not.toContain(stub.token);
  });

  it('keeps the text fallback on 401 and reports why without the token', async () => {
    const client = new QRadarClient(config({ token: 'wrong-token-value' }));
    const normalized = normalize(offense, ctx);
    const outcome = await completeQRadarOffense(offense, ctx, normalized, client, 2_000);
    expect(outcome.source).toBe('text');
    expect(outcome.reason).toContain('HTTP 401');
    expect(outcome.reason).not.toContain('wrong-token-value');
    expect(outcome.alerts).toBe(normalized);
    expect(outcome.alerts[0]?.provenance?.['dst.ip']).toBe('text');
    expect(outcome.alerts[0]?.src).toBeUndefined();
  });

  it('gives up at the deadline and keeps the text fallback, logging a warning free of secrets', async () => {
    stub.delayNext(1_500, { path: QRADAR_SOURCE_ADDRESSES_PATH });
    const warnings: Array<[Record<string, unknown>, string]> = [];
    const completion = new AlertCompletion(
      { qradar: config({ timeout: 200 }) },
      { warn: (fields, message) => warnings.push([fields, message]) },
    );
    const started = Date.now();
    const [alert] = await completion.complete(offense, ctx, normalize(offense, ctx));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(alert?.src).toBeUndefined();
    expect(alert?.provenance?.['dst.ip']).toBe('text');
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings)).not.toContain(stub.token);
    expect(String(warnings[0]?.[0]['reason'])).toMatch(/deadline|timed out/);
  });

  it('does nothing when QRadar is not configured or the alert is not a QRadar offense', async () => {
    const off = new AlertCompletion({});
    const normalized = normalize(offense, ctx);
    expect(await off.complete(offense, ctx, normalized)).toBe(normalized);
    expect(stub.calls).toHaveLength(0);
  });
});
