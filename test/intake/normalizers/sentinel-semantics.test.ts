import { normalize } from '../../../src/intake/normalizers/sentinel';
import { only, run } from './support';

/** The incident trigger's body as a Logic App forwards it (triggerBody()). */
function incident(properties: Record<string, unknown>) {
  return {
    eventUniqueId: '0b7c5a52-5b1e-4f0b-9a61-0c2f6e1d9b34',
    objectSchemaType: 'Incident',
    objectEventType: 'Create',
    object: {
      id: '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/soc-ws/providers/Microsoft.SecurityInsights/Incidents/c3b1c9d0-1e2f-4a5b-8c7d-9e0f1a2b3c4d',
      name: 'c3b1c9d0-1e2f-4a5b-8c7d-9e0f1a2b3c4d',
      type: 'Microsoft.SecurityInsights/Incidents',
      properties: {
        severity: 'High',
        status: 'New',
        createdTimeUtc: '2026-11-20T10:21:40Z',
        relatedAnalyticRuleIds: ['b0c1d2e3-0000-4000-8000-000000000002'],
        ...properties,
      },
    },
  };
}

describe('sentinel normalizer: meaning fields', () => {
  it('reads an OT incident from Defender for IoT: PascalCase ICS tactics and an ICS technique', () => {
    const alert = only(
      run(
        normalize,
        'sentinel',
        incident({
          title: 'PLC Program Changed on line-2-plc',
          description: 'A new program was downloaded to the controller from an engineering station.',
          additionalData: {
            alertsCount: 1,
            alertProductNames: ['Azure Security Center for IoT'],
            tactics: ['ImpairProcessControl', 'InhibitResponseFunction'],
            techniques: ['T0843'],
          },
          labels: [{ labelName: 'OT', labelType: 'User' }],
          relatedEntities: [{ kind: 'Ip', properties: { address: '10.20.1.9' } }],
        }),
      ),
    );
    expect(alert.attacks).toEqual([
      {
        technique: { uid: 'T0843', name: 'Program Download' },
        tactics: [{ name: 'ImpairProcessControl' }, { name: 'InhibitResponseFunction' }],
        matrix: 'ics',
      },
    ]);
    expect(alert.ot?.operation).toBe('program_download');
    expect(alert.category).toBe('unauthorized_change');
    expect(alert.provenance).toMatchObject({ attacks: 'vendor', 'ot.operation': 'attacks', category: 'attacks' });
  });

  it("reads ransomware from the incident's alerts (techniques listed per alert)", () => {
    const alert = only(
      run(
        normalize,
        'sentinel',
        incident({
          title: 'Multi-stage incident involving Execution & Impact on one endpoint',
          additionalData: {
            alertsCount: 2,
            alertProductNames: ['Microsoft Defender for Endpoint'],
            tactics: ['Execution', 'Impact'],
            techniques: [],
          },
          alerts: [
            {
              properties: {
                alertDisplayName: 'Suspicious PowerShell command line',
                tactics: ['Execution'],
                techniques: ['T1059'],
              },
            },
            {
              properties: {
                alertDisplayName: 'Ransomware behavior detected in the file system',
                tactics: ['Impact'],
                techniques: ['T1486'],
              },
            },
          ],
          relatedEntities: [{ kind: 'Host', properties: { hostName: 'fin-srv-01' } }],
        }),
      ),
    );
    expect(alert.attacks?.map((a) => a.technique.uid)).toEqual(['T1059', 'T1486']);
    // Several techniques: the incident's tactics are not attached to any one of them.
    expect(alert.attacks?.every((a) => a.tactics === undefined)).toBe(true);
    expect(alert.category).toBe('ransomware');
    expect(alert.provenance?.['category']).toBe('attacks');
  });

  it('reads the category from tactics alone when no technique is listed', () => {
    const alert = only(
      run(
        normalize,
        'sentinel',
        incident({ title: 'Suspicious SMB sessions', additionalData: { tactics: ['LateralMovement'] } }),
      ),
    );
    expect(alert.attacks).toEqual([]);
    expect(alert.category).toBe('lateral_movement');
    expect(alert.network?.protocol).toBe('smb');
    expect(alert.provenance?.['network.protocol']).toBe('text');
  });
});
