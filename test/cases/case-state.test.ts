import { caseFrom, planCaseChange, transitionRefusal } from '../../src/cases/case-state';
import type { AuditRecord } from '../../src/audit/types';

let seq = 0;
function record(eventType: AuditRecord['eventType'], time: string, extra: Partial<AuditRecord> = {}): AuditRecord {
  seq += 1;
  return {
    seq,
    prevHash: 'p',
    hash: 'h',
    idempotencyKey: `k${seq}`,
    time,
    incidentId: 'inc-1',
    actor: { type: 'system', id: 'interlock', channel: 'engine' },
    eventType,
    ...extra,
  };
}
const op = (id: string) => ({ actor: { type: 'operator' as const, id, roles: ['soc'], channel: 'api' as const } });

describe('case state from the audit trail', () => {
  it('starts new, unassigned, with no times', () => {
    const view = caseFrom([record('incident.opened', '2026-01-01T00:00:00.000Z')]);
    expect(view).toMatchObject({ status: 'new', assignee: null, tags: [], comments: [] });
    expect(view.timeToAcknowledgeMs).toBeNull();
    expect(view.timeToContainMs).toBeNull();
  });

  it('folds changes in order, so concurrent changes of different fields both land', () => {
    const view = caseFrom([
      record('incident.opened', '2026-01-01T00:00:00.000Z'),
      record('action.executed', '2026-01-01T00:00:05.000Z', {
        action: { type: 'edr.contain_host', params: {}, enforcementPoint: 'crowdstrike' },
      }),
      record('case.updated', '2026-01-01T00:01:00.000Z', {
        ...op('alice'),
        details: { changes: { status: { from: 'new', to: 'triage' }, tags: { added: ['ransomware'], removed: [] } } },
      }),
      record('case.updated', '2026-01-01T00:01:00.000Z', {
        ...op('bob'),
        details: { changes: { assignee: { from: null, to: 'bob' }, tags: { added: ['it'], removed: [] } } },
      }),
      record('case.commented', '2026-01-01T00:02:00.000Z', { ...op('bob'), details: { text: 'looking' } }),
    ]);
    expect(view).toMatchObject({ status: 'triage', assignee: 'bob', tags: ['it', 'ransomware'] });
    expect(view.comments).toEqual([
      { seq: expect.any(Number), time: '2026-01-01T00:02:00.000Z', author: 'bob', text: 'looking' },
    ]);
    expect(view.timeToAcknowledgeMs).toBe(60_000);
    expect(view.acknowledgedBy).toBe('alice');
    // An automatic containment is measured, and never moves the status people set.
    expect(view.timeToContainMs).toBe(5_000);
  });

  it('counts an approval vote as the first human action, and only containment actions for time to contain', () => {
    const view = caseFrom([
      record('incident.opened', '2026-01-01T00:00:00.000Z'),
      record('action.executed', '2026-01-01T00:00:01.000Z', {
        action: { type: 'intel.lookup', params: {}, enforcementPoint: 'virustotal' },
      }),
      record('approval.decided', '2026-01-01T00:00:30.000Z', op('carol')),
      record('action.executed', '2026-01-01T00:00:40.000Z', {
        action: { type: 'contain.source', params: {}, enforcementPoint: 'fortigate:root@fw-dmz' },
      }),
    ]);
    expect(view.timeToAcknowledgeMs).toBe(30_000);
    expect(view.timeToContainMs).toBe(40_000);
    expect(view.status).toBe('new');
  });
});

describe('case changes', () => {
  const base = caseFrom([record('incident.opened', '2026-01-01T00:00:00.000Z')]);

  it('records only what differs, so the same change twice is a no-op the second time', () => {
    const first = planCaseChange(base, { status: 'triage', assignee: 'bob', tags: { add: ['a'] } });
    expect(first).toEqual({
      ok: true,
      changes: {
        status: { from: 'new', to: 'triage' },
        assignee: { from: null, to: 'bob' },
        tags: { added: ['a'], removed: [] },
      },
    });
    const after = { ...base, status: 'triage' as const, assignee: 'bob', tags: ['a'] };
    expect(planCaseChange(after, { status: 'triage', assignee: 'bob', tags: { add: ['a'] } })).toEqual({
      ok: true,
      changes: {},
    });
  });

  it('refuses moving back to new, and a closed case straight to anything but triage', () => {
    expect(transitionRefusal('triage', 'new')).toMatch(/new/);
    expect(transitionRefusal('closed', 'contained')).toMatch(/triage/);
    expect(transitionRefusal('closed', 'triage')).toBeUndefined();
    expect(transitionRefusal('new', 'closed')).toBeUndefined();
    const closed = { ...base, status: 'closed' as const };
    expect(planCaseChange(closed, { status: 'recovering' })).toMatchObject({ ok: false, field: 'status' });
  });

  it('limits the number of tags', () => {
    const full = { ...base, tags: Array.from({ length: 50 }, (_, i) => `t${i}`) };
    expect(planCaseChange(full, { tags: { add: ['one-more'] } })).toMatchObject({ ok: false, field: 'tags.add' });
    expect(planCaseChange(full, { tags: { add: ['one-more'], remove: ['t0'] } })).toMatchObject({ ok: true });
  });
});
