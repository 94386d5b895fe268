/**
 * Humans in the loop (issue 5), end to end: approval messages posted to a Slack Web API stub,
 * signed button clicks to POST /slack/interactions, escalation by Slack and a real SMTP
 * server on loopback, and the degraded modes (429, Slack down).
 */
import { Client } from 'pg';
import { startSlackStub, type SlackStub, type SlackStubMessage } from '../stubs/slack-stub';
import { slackClickBody, slackSignedHeaders } from '../support/slack-click';
import { startSmtpServer, type SmtpTestServer } from '../support/smtp';
import { accepted, auditOf, auditRecords } from '../support/e2e';
import { eventually, startStack, type Stack } from '../support/stack';

const SIGNING_SECRET = 'slack-signing-secret-for-tests-0123';
const SLACK_USERS = { alice: 'U0ALICE01', omar: 'U0OMAR001', grace: 'U0GRACE01', engine: 'U0ENGINE1' } as const;
const DEFAULT_CHANNEL = 'C0SOC0001';
const PLANT_CHANNEL = 'C0PLANTA1';

let stack: Stack;
let slack: SlackStub;
let smtp: SmtpTestServer;

beforeAll(async () => {
  [slack, smtp] = await Promise.all([startSlackStub(), startSmtpServer()]);
  stack = await startStack({
    approvalTtl: '20s',
    escalateAfter: '8s',
    slack: {
      apiUrl: slack.apiUrl,
      botToken: slack.botToken,
      signingSecret: SIGNING_SECRET,
      channel: DEFAULT_CHANNEL,
      channels: { 'plant-a': PLANT_CHANNEL },
    },
    email: { host: smtp.host, port: smtp.port },
    configure(config) {
      const contacts: Record<string, { slackUserId: string; email: string }> = {
        alice: { slackUserId: SLACK_USERS.alice, email: 'alice@soc.example.test' },
        omar: { slackUserId: SLACK_USERS.omar, email: 'omar@plant.example.test' },
        grace: { slackUserId: SLACK_USERS.grace, email: 'grace@plant.example.test' },
      };
      // Plus an operator account with the engine's own ID: the requester, who may never approve.
      const operators: Record<string, unknown>[] = [
        ...config.operators.map((op) => ({ ...op, ...contacts[op.id] })),
        { id: 'interlock', name: 'Interlock Engine', roles: ['ot-engineer'], slackUserId: SLACK_USERS.engine },
      ];
      Object.assign(config, { operators });
      config.zones = config.zones.map((zone) => (zone.id === 'line1-cell' ? { ...zone, shiftLead: 'omar' } : zone));
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([slack?.close(), smtp?.close()]);
});

let alertCounter = 0;
async function alertOn(ip: string, host: string): Promise<string> {
  alertCounter += 1;
  const response = await stack.webhook('generic', {
    id: `slack-e2e-${alertCounter}-${ip}`,
    title: `Suspicious Modbus writes from ${host}`,
    severity: 'high',
    rule: { id: 'test-quarantine' },
    hosts: [{ name: host, ip }],
  });
  return (await accepted(response)).incidentId;
}

async function approvalOf(incidentId: string): Promise<{ id: string; status: string }> {
  return eventually(async () => {
    const list = await stack.api(`/approvals?incidentId=${incidentId}`, { operator: 'omar' });
    return ((await list.json()) as { approvals: { id: string; status: string }[] }).approvals[0];
  }, `the approval of ${incidentId}`);
}

async function statusOf(approvalId: string, incidentId: string): Promise<string | undefined> {
  const list = await stack.api(`/approvals?incidentId=${incidentId}`, { operator: 'omar' });
  return ((await list.json()) as { approvals: { id: string; status: string }[] }).approvals.find(
    (a) => a.id === approvalId,
  )?.status;
}

const isApprovalMessage = (approvalId: string) => (m: SlackStubMessage) =>
  m.threadTs === undefined && JSON.stringify(m.blocks).includes(`"value":"${approvalId}"`);

function approvalMessage(approvalId: string): Promise<SlackStubMessage> {
  return eventually(() => slack.messages.find(isApprovalMessage(approvalId)), `the Slack message of ${approvalId}`);
}

function clickBody(
  user: string,
  approvalId: string,
  action: 'approve' | 'reject',
  message: SlackStubMessage,
  actionTs: string,
) {
  return slackClickBody({ user, approvalId, action, message, actionTs });
}

function signedHeaders(body: string, timestamp = Math.floor(Date.now() / 1000)) {
  return slackSignedHeaders(SIGNING_SECRET, body, timestamp);
}

let actionCounter = 0;
function nextActionTs(): string {
  actionCounter += 1;
  return `${Math.floor(Date.now() / 1000)}.${String(100_000 + actionCounter)}`;
}

async function click(
  user: string,
  approvalId: string,
  action: 'approve' | 'reject',
  message: SlackStubMessage,
  options: { actionTs?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const body = options.body ?? clickBody(user, approvalId, action, message, options.actionTs ?? nextActionTs());
  return fetch(`${stack.apiUrl}/slack/interactions`, {
    method: 'POST',
    headers: options.headers ?? signedHeaders(body),
    body,
  });
}

/** The samples of interlock_slack_requests_refused_total, by reason, from GET /metrics. */
async function refusedCounts(): Promise<Record<string, number>> {
  const response = await stack.api('/metrics', { operator: 'alice' });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const counts: Record<string, number> = {};
  for (const match of (await response.text()).matchAll(
    /^interlock_slack_requests_refused_total\{reason="([a-z_]+)"\} (\d+)$/gm,
  ))
    counts[match[1] as string] = Number(match[2]);
  return counts;
}

function increase(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([reason, n]) => [reason, n - (before[reason] ?? 0)] as const)
      .filter(([, n]) => n !== 0),
  );
}

const bans = (ip: string) =>
  stack.fortigate
    .callsTo('/api/v2/monitor/user/banned/add_users')
    .filter((c) => c.status === 200 && JSON.stringify(c.body).includes(ip));

describe('approval from Slack', () => {
  it('posts the approval with its ID, target, zone and expiry; an OT engineer’s signed Approve executes it', async () => {
    const incidentId = await alertOn('10.15.0.9', 'dmz-gw-9');
    const approval = await approvalOf(incidentId);
    const message = await approvalMessage(approval.id);
    const blocks = JSON.stringify(message.blocks);
    expect(message.channel).toBe(DEFAULT_CHANNEL);
    expect(blocks).toContain(approval.id);
    expect(blocks).toContain('10.15.0.9');
    // In words for people, the technical form beside it (issue 17).
    expect(blocks).toContain('*Proposed action:* block 10.15.0.9 at the Fortinet FortiGate (root)');
    expect(blocks).toContain('`firewall.quarantine_ip 10.15.0.9 → fortigate:root`');
    expect(blocks).toContain('*Zone:*\\ndmz');
    expect(blocks).toContain('*Purdue level:*\\n3.5');
    expect(blocks).toMatch(/\*Expires:\*\\n<!date\^\d+\^/);
    expect(blocks).toContain('rule-3-ot-change-needs-approval');
    // The approval's link opens its console page (sign-in first), where it can be decided too.
    expect(blocks).toContain(`<${stack.apiUrl}/console/approvals/${approval.id}|${approval.id}>`);
    const opened = await fetch(`${stack.apiUrl}/console/approvals/${approval.id}`, { redirect: 'manual' });
    expect([opened.status, opened.headers.get('location')]).toEqual([
      303,
      `/console/sign-in?next=${encodeURIComponent(`/console/approvals/${approval.id}`)}`,
    ]);
    const actions = message.blocks.find((b) => (b as { type: string }).type === 'actions') as {
      elements: { action_id: string; style: string; value: string; confirm?: unknown }[];
    };
    expect(actions.elements).toEqual([
      expect.objectContaining({ style: 'primary', value: approval.id, confirm: expect.any(Object) }),
      expect.objectContaining({ style: 'danger', value: approval.id }),
    ]);
    expect(bans('10.15.0.9')).toHaveLength(0);

    const response = await click(SLACK_USERS.omar, approval.id, 'approve', message);
    expect(response.status).toBe(200);

    await eventually(() => (bans('10.15.0.9').length === 1 ? true : undefined), 'the quarantine at the firewall');
    await eventually(
      () => (message.history.some((v) => JSON.stringify(v.blocks).includes('Omar Haddad')) ? true : undefined),
      'the message updated with the approver',
    );
    const final = await eventually(
      () => (JSON.stringify(message.blocks).includes('*Approved*') ? message : undefined),
      'the message showing the approval',
    );
    expect(JSON.stringify(final.blocks)).not.toContain('interlock.approval.approve');
    const decided = (await auditRecords(stack, incidentId)).find((r) => r.eventType === 'approval.decided');
    expect(decided?.actor).toMatchObject({ type: 'operator', id: 'omar', channel: 'slack' });
  });
});

describe('dual approval of a PLC quarantine through Slack', () => {
  let incidentId: string;
  let approvalId: string;
  let message: SlackStubMessage;

  beforeAll(async () => {
    incidentId = await alertOn('10.20.1.7', 'plc-7');
    approvalId = (await approvalOf(incidentId)).id;
    message = await approvalMessage(approvalId);
  });

  it('posts to the plant’s channel (zone → site mapping)', () => {
    expect(message.channel).toBe(PLANT_CHANNEL);
    expect(JSON.stringify(message.blocks)).toContain('*Approvals still needed:*\\n2 of 2');
  });

  it('refuses unsigned, stale, replayed and unauthorized clicks; counts the unauthenticated, audits the rest; does not act', async () => {
    const ephemeralsBefore = slack.ephemerals.length;
    const countsBefore = await refusedCounts();
    // A bad signature.
    const body = clickBody(SLACK_USERS.omar, approvalId, 'approve', message, nextActionTs());
    const forged = await click(SLACK_USERS.omar, approvalId, 'approve', message, {
      body,
      headers: { ...signedHeaders(body), 'x-slack-signature': `v0=${'0'.repeat(64)}` },
    });
    expect(forged.status).toBe(401);
    // Correctly signed, but more than 5 minutes old.
    const stale = await click(SLACK_USERS.omar, approvalId, 'approve', message, {
      body,
      headers: signedHeaders(body, Math.floor(Date.now() / 1000) - 6 * 60),
    });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('stale_timestamp');
    // A SOC-only analyst on an OT action: delivered, then refused by the approval rules.
    const aliceBody = clickBody(SLACK_USERS.alice, approvalId, 'approve', message, nextActionTs());
    const aliceHeaders = signedHeaders(aliceBody);
    expect(
      (await click(SLACK_USERS.alice, approvalId, 'approve', message, { body: aliceBody, headers: aliceHeaders }))
        .status,
    ).toBe(200);
    // The same signed request again: a replay.
    const replay = await click(SLACK_USERS.alice, approvalId, 'approve', message, {
      body: aliceBody,
      headers: aliceHeaders,
    });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('replayed_request');
    // A Slack user linked to no operator, and the requester itself.
    expect((await click('U0STRANGER', approvalId, 'approve', message)).status).toBe(200);
    expect((await click(SLACK_USERS.engine, approvalId, 'approve', message)).status).toBe(200);

    const records = await eventually(async () => {
      const all = await auditRecords(stack, incidentId);
      return all.filter((r) => r.eventType === 'approval.refused').length >= 3 ? all : undefined;
    }, 'the refusals in the audit');
    const refused = records.filter((r) => r.eventType === 'approval.refused').map((r) => r.result?.detail ?? '');
    expect(refused).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^approver_not_authorized/),
        expect.stringMatching(/^unknown_slack_user/),
        expect.stringMatching(/^self_approval/),
      ]),
    );
    // Failing verification is counted, never audited (issue 13): the caller is not authenticated.
    expect(records.filter((r) => r.eventType === 'slack.request_refused')).toEqual([]);
    expect(increase(countsBefore, await refusedCounts())).toEqual({
      bad_signature: 1,
      stale_timestamp: 1,
      replayed_request: 1,
    });

    const explained = slack.ephemerals.slice(ephemeralsBefore);
    expect(explained.map((e) => e.user).sort()).toEqual([SLACK_USERS.alice, SLACK_USERS.engine, 'U0STRANGER'].sort());
    expect(explained.find((e) => e.user === SLACK_USERS.alice)?.text).toMatch(/not authorized/);
    expect(explained.find((e) => e.user === SLACK_USERS.engine)?.text).toMatch(/requester/);
    expect(explained.find((e) => e.user === 'U0STRANGER')?.text).toMatch(/not linked/);
    expect(await statusOf(approvalId, incidentId)).toBe('pending');
    expect(records.some((r) => r.eventType === 'approval.decided')).toBe(false);
    expect(bans('10.20.1.7')).toHaveLength(0);
  });

  it('needs two different OT engineers; the same engineer clicking twice counts once', async () => {
    const before = slack.ephemerals.length;
    const body = clickBody(SLACK_USERS.omar, approvalId, 'approve', message, nextActionTs());
    const now = Math.floor(Date.now() / 1000);
    expect(
      (await click(SLACK_USERS.omar, approvalId, 'approve', message, { body, headers: signedHeaders(body, now - 1) }))
        .status,
    ).toBe(200);
    // Slack re-delivers the same click (a new signature timestamp, the same action_ts): it counts
    // once and is not refused as a duplicate.
    expect(
      (await click(SLACK_USERS.omar, approvalId, 'approve', message, { body, headers: signedHeaders(body, now) }))
        .status,
    ).toBe(200);
    expect(slack.ephemerals.slice(before)).toEqual([]);
    // Omar clicks again: refused as a duplicate approver.
    expect((await click(SLACK_USERS.omar, approvalId, 'approve', message)).status).toBe(200);
    await eventually(
      () => slack.ephemerals.slice(before).find((e) => e.user === SLACK_USERS.omar && /already decided/.test(e.text)),
      'the duplicate-approver explanation',
    );
    const partial = await eventually(
      () =>
        JSON.stringify(message.blocks).includes('*Approvals still needed:*\\n1 of 2')
          ? JSON.stringify(message.blocks)
          : undefined,
      'the message showing one approval left',
    );
    // Who already approved, and when, is in the message and in GET /approvals while pending.
    expect(partial).toMatch(/approved by \*Omar Haddad\* at <!date\^\d+\^[^|]+\|[0-9T:.-]+Z> via slack/);
    const listed = await stack.api(`/approvals?incidentId=${incidentId}`, { operator: 'omar' });
    const [row] = ((await listed.json()) as { approvals: { status: string; decisions: unknown[] }[] }).approvals;
    expect(row).toMatchObject({
      status: 'pending',
      decisions: [{ operatorId: 'omar', decision: 'approve', channel: 'slack', at: expect.any(String) }],
    });
    expect(row?.decisions).toHaveLength(1);
    expect(bans('10.20.1.7')).toHaveLength(0);

    expect((await click(SLACK_USERS.grace, approvalId, 'approve', message)).status).toBe(200);
    await eventually(() => (bans('10.20.1.7').length === 1 ? true : undefined), 'the quarantine after two approvals');
    const final = await eventually(
      () => (JSON.stringify(message.blocks).includes('*Approved*') ? JSON.stringify(message.blocks) : undefined),
      'the final message',
    );
    expect(final).toContain('Omar Haddad');
    expect(final).toContain('Grace Lin');
    const votes = (await auditRecords(stack, incidentId)).filter((r) => r.eventType === 'approval.decided');
    expect(votes.map((r) => r.actor.id)).toEqual(['omar', 'grace']);
  });

  it('emails the zone’s owner and shift lead with the incident link (rule 15)', async () => {
    const mail = await eventually(
      () => smtp.messages.find((m) => m.subject.includes(incidentId) && m.subject.includes('OT incident')),
      'the OT incident email',
    );
    expect(mail.to.sort()).toEqual(['grace@plant.example.test', 'omar@plant.example.test']);
    // Console pages, which a browser opens after sign-in (the API routes answer 401 there).
    expect(mail.text).toContain(`${stack.apiUrl}/console/incidents/${incidentId}`);
    expect(mail.text).toContain(`${stack.apiUrl}/console/incidents/${incidentId}#audit`);
    expect(mail.html).toContain(`href="${stack.apiUrl}/console/incidents/${incidentId}"`);
    expect(mail.text).not.toContain(`${stack.apiUrl}/incidents/`);
  });
});

describe('unauthenticated requests cannot grow the audit trail (issue 13)', () => {
  it('counts 50 unsigned clicks naming a pending approval without a record; a signed refusal is still audited', async () => {
    const incidentId = await alertOn('10.15.0.13', 'dmz-gw-13');
    const approvalId = (await approvalOf(incidentId)).id;
    const message = await approvalMessage(approvalId);
    // Let the workflow's own timer (escalation after 8 s) write its record first: from then on,
    // until the expiry, nothing but a decision may add to this incident.
    await eventually(
      async () =>
        (await auditRecords(stack, incidentId)).some((r) => r.eventType === 'approval.escalated') ? true : undefined,
      'the escalation record',
      20_000,
    );
    const recordsBefore = (await auditRecords(stack, incidentId)).length;
    const countsBefore = await refusedCounts();

    const statuses = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const body = clickBody(`U0ATTACK${String(i).padStart(2, '0')}`, approvalId, 'approve', message, nextActionTs());
        const response = await fetch(`${stack.apiUrl}/slack/interactions`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
        return `${response.status} ${((await response.json()) as { error: { code: string } }).error.code}`;
      }),
    );
    expect(new Set(statuses)).toEqual(new Set(['401 missing_signature']));

    const countsAfter = await refusedCounts();
    expect(increase(countsBefore, countsAfter)).toEqual({ missing_signature: 50 });
    expect(countsAfter['missing_signature']).toBe(50); // nothing else in this file sends unsigned requests
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await auditRecords(stack, incidentId)).toHaveLength(recordsBefore);
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM audit_events WHERE event_type = 'slack.request_refused'`,
      );
      expect(Number(rows[0]?.n)).toBe(0);
    } finally {
      await db.end();
    }

    // A correctly signed click from a Slack user linked to no operator: authenticated by Slack, refused, audited.
    expect((await click('U0STRANGER', approvalId, 'approve', message)).status).toBe(200);
    const after = await auditOf(stack, incidentId, (records) => records.length > recordsBefore);
    expect(after.slice(recordsBefore)).toEqual([
      expect.objectContaining({
        eventType: 'approval.refused',
        actor: expect.objectContaining({ id: 'slack:U0STRANGER', channel: 'slack' }),
        result: expect.objectContaining({ detail: expect.stringMatching(/^unknown_slack_user/) }),
      }),
    ]);
    expect(increase(countsBefore, await refusedCounts())).toEqual({ missing_signature: 50 });
    expect(await statusOf(approvalId, incidentId)).toBe('pending');

    const rejected = await stack.api(`/approvals/${approvalId}/decision`, {
      method: 'POST',
      operator: 'omar',
      body: { decision: 'reject', reason: 'test cleanup' },
    });
    expect(rejected.status).toBe(200);
  }, 60_000);

  it('serves GET /metrics to operators only, as the OpenAPI document says', async () => {
    const doc = (await (await fetch(`${stack.apiUrl}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, { content?: unknown }> }>>;
    };
    const described = doc.paths['/metrics']?.['get'];
    expect(described?.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(described?.responses['200']?.content as object)).toEqual(['text/plain; version=0.0.4']);
    expect(described?.responses['401']).toBeDefined();

    const anonymous = await fetch(`${stack.apiUrl}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const counts = await refusedCounts();
    expect(Object.keys(counts).sort()).toEqual([
      'bad_signature',
      'missing_signature',
      'replayed_request',
      'stale_timestamp',
    ]);
  });
});

describe('escalation', () => {
  it('reminds in Slack and by email, then says nothing was done when the approval expires', async () => {
    const incidentId = await alertOn('10.15.0.10', 'dmz-gw-10');
    const approvalId = (await approvalOf(incidentId)).id;
    const message = await approvalMessage(approvalId);

    const reminder = await eventually(
      () => slack.messages.find((m) => m.threadTs === message.ts && m.text.includes('Reminder')),
      'the Slack reminder',
      30_000,
    );
    expect(reminder.text).toContain(approvalId);
    const reminderMail = await eventually(
      () => smtp.messages.find((m) => m.subject.includes(`Reminder: approval ${approvalId}`)),
      'the reminder email',
    );
    expect(reminderMail.to.sort()).toEqual(['grace@plant.example.test', 'omar@plant.example.test']);

    await eventually(
      () => slack.messages.find((m) => m.threadTs === message.ts && /Nothing was done/.test(m.text)),
      'the expiry notice in Slack',
      30_000,
    );
    await eventually(
      () => (JSON.stringify(message.blocks).includes('*Expired*') ? true : undefined),
      'the message marked expired',
    );
    const expiredMail = await eventually(
      () => smtp.messages.find((m) => m.subject.includes(`Approval ${approvalId} expired`)),
      'the expiry email',
    );
    expect(expiredMail.text).toContain('Nothing was done');
    expect(await statusOf(approvalId, incidentId)).toBe('expired');
    expect(bans('10.15.0.10')).toHaveLength(0);
  }, 60_000);
});

describe('degraded Slack', () => {
  it('delivers the approval message once when Slack answers 429 then 200', async () => {
    slack.rateLimit('chat.postMessage', 1, 1, (fields) =>
      (fields['blocks'] ?? '').includes('interlock.approval.approve'),
    );
    const incidentId = await alertOn('10.15.0.11', 'dmz-gw-11');
    const approvalId = (await approvalOf(incidentId)).id;
    await approvalMessage(approvalId);
    const posts = slack
      .callsTo('/api/chat.postMessage')
      .filter((c) => String((c.body as Record<string, string>)['blocks']).includes(`"value":"${approvalId}"`));
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(slack.messages.filter(isApprovalMessage(approvalId))).toHaveLength(1);
    const decided = await stack.api(`/approvals/${approvalId}/decision`, {
      method: 'POST',
      operator: 'omar',
      body: { decision: 'reject', reason: 'test cleanup' },
    });
    expect(decided.status).toBe(200);
  });

  it('still completes an approval through the API while Slack answers 500', async () => {
    slack.outage = 500;
    try {
      const incidentId = await alertOn('10.15.0.12', 'dmz-gw-12');
      const approvalId = (await approvalOf(incidentId)).id;
      const decided = await stack.api(`/approvals/${approvalId}/decision`, {
        method: 'POST',
        operator: 'grace',
        body: { decision: 'approve' },
      });
      expect(decided.status).toBe(200);
      await eventually(() => (bans('10.15.0.12').length === 1 ? true : undefined), 'the quarantine without Slack');
      expect(slack.messages.some(isApprovalMessage(approvalId))).toBe(false);
      expect(slack.callsTo('/api/chat.postMessage').some((c) => c.status === 500)).toBe(true);
    } finally {
      slack.outage = undefined;
    }
  });
});

describe('no silent non-match: an OT alert no playbook handles (issue 15)', () => {
  /** A Modbus read from the engineering workstation to the PLC: a near miss of S4, no playbook's business. */
  const poll = (id: string, severity: string) => ({
    id,
    title: 'Register polling outside the usual schedule',
    severity,
    rule: { id: 'ot-poll-baseline' },
    src: { host: 'eng-ws-03', ip: '10.10.4.17' },
    dst: { ip: '10.20.1.7' },
    network: { protocol: 'Modbus/TCP', dstPort: 502 },
    ot: { operation: 'read', functionCode: 3 },
  });
  const unhandledMessages = (incidentId: string) =>
    slack.messages.filter((m) => m.text.includes('Unhandled OT alert') && m.text.includes(incidentId));

  it('records it once, lists it as unhandled, explains every playbook, and tells the SOC channel and the zone owners', async () => {
    const incidentId = (await accepted(await stack.webhook('generic', poll('unhandled-1', 'high')))).incidentId;
    const records = await auditOf(
      stack,
      incidentId,
      (r) => r.some((x) => x.eventType === 'incident.unhandled'),
      undefined,
      'the unhandled record',
    );
    const unhandled = records.find((r) => r.eventType === 'incident.unhandled');
    expect(unhandled?.details).toMatchObject({ zones: ['line1-cell', 'eng'], unknown: [], alertUid: 'unhandled-1' });
    expect(records.some((r) => r.eventType === 'playbook.started')).toBe(false);

    const listed = (await (await stack.api('/incidents?unhandled=true', { operator: 'alice' })).json()) as {
      incidents: { incidentId: string; unhandled: boolean; zones: string[] }[];
    };
    expect(listed.incidents.find((i) => i.incidentId === incidentId)).toMatchObject({
      unhandled: true,
      zones: ['eng', 'line1-cell'],
    });
    const handled = (await (await stack.api('/incidents?unhandled=false&limit=500', { operator: 'alice' })).json()) as {
      incidents: { incidentId: string }[];
    };
    expect(handled.incidents.map((i) => i.incidentId)).not.toContain(incidentId);

    const detail = (await (await stack.api(`/incidents/${incidentId}`, { operator: 'alice' })).json()) as {
      unhandled: { reason: string } | null;
      alerts: { meaning?: { ot: { operation: string }; network: { protocol: string } }; playbooks?: unknown[] }[];
    };
    expect(detail.unhandled?.reason).toMatch(
      /high alert touching OT zones line1-cell, eng matched none of the \d+ playbooks/,
    );
    const alert = detail.alerts[0];
    expect(alert?.meaning).toMatchObject({ ot: { operation: 'read' }, network: { protocol: 'modbus' } });
    const s4 = (alert?.playbooks as { playbookId: string; matched: boolean; triggers: { failed?: unknown }[] }[]).find(
      (p) => p.playbookId === 's4-modbus-write-it-to-plc',
    );
    expect(s4?.matched).toBe(false);
    expect(JSON.stringify(s4?.triggers)).toContain('"read"');

    const message = await eventually(() => unhandledMessages(incidentId)[0], 'the unhandled Slack message');
    expect(message.channel).toBe(DEFAULT_CHANNEL);
    expect(message.text).toContain(`<@${SLACK_USERS.grace}>`);
    expect(message.text).toContain(`<@${SLACK_USERS.omar}>`);
    const mail = await eventually(
      () => smtp.messages.find((m) => m.subject.includes('Unhandled OT alert') && m.subject.includes(incidentId)),
      'the unhandled email',
    );
    expect(mail.to.sort()).toEqual(['grace@plant.example.test', 'omar@plant.example.test']);

    // A second such alert in the same incident: recorded, not announced again.
    const again = (await accepted(await stack.webhook('generic', poll('unhandled-2', 'critical')))).incidentId;
    expect(again).toBe(incidentId);
    const after = await auditOf(
      stack,
      incidentId,
      (r) => r.filter((x) => x.eventType === 'alert.received').length === 2,
      undefined,
      'the second alert',
    );
    expect(after.filter((r) => r.eventType === 'incident.unhandled')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(unhandledMessages(incidentId)).toHaveLength(1);
  });

  it('below the configured severity, or touching IT only, nothing is flagged', async () => {
    const low = (
      await accepted(await stack.webhook('generic', { ...poll('unhandled-low', 'low'), rule: { id: 'x-low' } }))
    ).incidentId;
    const itOnly = (
      await accepted(
        await stack.webhook('generic', {
          id: 'unhandled-it',
          title: 'Printer spooler restarted',
          severity: 'high',
          hosts: [{ name: 'fin-lt-042', ip: '10.30.5.42' }],
        }),
      )
    ).incidentId;
    for (const incidentId of [low, itOnly]) {
      const records = await auditOf(
        stack,
        incidentId,
        (r) => r.some((x) => x.eventType === 'alert.received'),
        undefined,
        'the alert record',
      );
      expect(records.map((r) => r.eventType)).not.toContain('incident.unhandled');
    }
    const listed = (await (await stack.api('/incidents?unhandled=true&limit=500', { operator: 'alice' })).json()) as {
      incidents: { incidentId: string }[];
    };
    expect(listed.incidents.map((i) => i.incidentId)).not.toEqual(expect.arrayContaining([low]));
    expect(listed.incidents.map((i) => i.incidentId)).not.toEqual(expect.arrayContaining([itOnly]));
  });
});
