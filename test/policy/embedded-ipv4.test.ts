/**
 * IPv4 embedded in IPv6 (issue 13, item 5): the SIS written as `64:ff9b::10.20.9.1` (NAT64),
 * `::ffff:0:10.20.9.1` (SIIT), `2002:a14:901::1` (6to4)… is still the SIS. Unit tests of the
 * unwrapping, the inventory and the real PolicyEngine on the reference configuration, and a
 * property test of rule 5 over every embedding form and every action type.
 */
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { ACTION_CATALOG, ACTION_TYPES, type ActionRequest } from '../../src/actions/catalog';
import { configSchema } from '../../src/config/schema';
import { addressForms, embeddedIpv4, parseIp } from '../../src/policy/addresses';
import { checkExecution } from '../../src/policy/execution-gate';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { exampleConfig } from '../support/example-config';

const config = exampleConfig();
const engine = new PolicyEngine(config);
const SIS_IP = '10.20.9.1';

function inner(text: string): string | undefined {
  const ip = parseIp(text);
  if (ip === undefined || ip.kind() !== 'ipv6') throw new Error(`${text} is not an IPv6 address`);
  return embeddedIpv4(ip as ipaddr.IPv6)?.toString();
}

describe('embeddedIpv4: every standard embedding', () => {
  it.each([
    ['IPv4-mapped (::ffff:0:0/96)', '::ffff:10.20.9.9'],
    ['IPv4-mapped, hex', '::ffff:a14:909'],
    ['IPv4-mapped, expanded', '0000:0000:0000:0000:0000:FFFF:0A14:0909'],
    ['IPv4-compatible (::/96)', '::10.20.9.9'],
    ['SIIT (::ffff:0:0:0/96)', '::ffff:0:10.20.9.9'],
    ['NAT64 well-known prefix (64:ff9b::/96)', '64:ff9b::10.20.9.9'],
    ['NAT64 well-known prefix, hex', '64:FF9B::A14:909'],
    ['NAT64 local-use /48 (bits 48-63, 72-87)', '64:ff9b:1:a14:9:900::'],
    ['NAT64 local-use /48 with a suffix', '64:ff9b:1:a14:9:9ab:cdef:1'],
    ['6to4 (2002::/16, bits 16-47)', '2002:a14:909::1'],
    ['6to4 with subnet and interface ID', '2002:a14:909:42:216:3eff:fe00:1'],
  ])('%s: %s carries 10.20.9.9', (_form, text) => {
    expect(inner(text)).toBe('10.20.9.9');
  });

  it('skips the u-octet of the /48 layout', () => {
    // Bytes: 00 64 ff 9b 00 01 | 0a 14 | u=00 | 09 09 | suffix.
    expect(inner('64:ff9b:1:a14:9:900::')).toBe('10.20.9.9');
    expect(inner('64:ff9b:1:a14:0009:0900::')).toBe('10.20.9.9');
    expect(inner('64:ff9b:1:a14:0:909::')).toBe('10.20.0.9'); // the u-octet is not part of the IPv4
  });

  it.each([
    ['the unspecified address', '::'],
    ['loopback', '::1'],
    ['a global unicast address', '2001:db8::10.20.9.9'],
    ['link-local', 'fe80::a14:909'],
    ['64:ff9b::/32 outside /96 and 1::/48', '64:ff9b:2::a14:909'],
    ['64:ff9b:: with a non-zero middle', '64:ff9b:0:0:1::a14:909'],
    ['an IPv6 host with ffff elsewhere', 'ffff::a14:909'],
  ])('%s (%s) carries none', (_what, text) => {
    expect(inner(text)).toBeUndefined();
  });

  it('addressForms: the embedded IPv4 first, then the address itself; an IPv4 is only itself', () => {
    expect(addressForms(parseIp('64:ff9b::10.20.9.9') as ipaddr.IPv6).map(String)).toEqual([
      '10.20.9.9',
      '64:ff9b::a14:909',
    ]);
    expect(addressForms(parseIp('10.20.9.9') as ipaddr.IPv4).map(String)).toEqual(['10.20.9.9']);
    expect(addressForms(parseIp('2001:db8::1') as ipaddr.IPv6).map(String)).toEqual(['2001:db8::1']);
  });
});

const SIS_FORMS = [
  '::ffff:10.20.9.1',
  '::10.20.9.1',
  '::ffff:0:10.20.9.1',
  '64:ff9b::10.20.9.1',
  '64:ff9b:1:a14:9:100::',
  '2002:a14:901::1',
];

describe('inventory and policy on the reference configuration', () => {
  it.each(SIS_FORMS)('%s resolves to sis-1, its zone and its safety flag', (form) => {
    expect(engine.inventory.resolve(form)).toMatchObject({
      assetId: 'sis-1',
      zone: 'line1-cell',
      purdueLevel: 1,
      safetySystem: true,
      known: true,
      domain: 'ot',
    });
  });

  it.each(SIS_FORMS)('%s as source or destination is refused under rule 5', (form) => {
    const refused = { outcome: 'refuse', rule: 'rule-5-safety-system' };
    expect(engine.decide({ type: 'firewall.quarantine_ip', target: form, params: {} })).toMatchObject(refused);
    expect(engine.decide({ type: 'firewall.quarantine_ip', target: 'fin-lt-042', params: { ip: form } })).toMatchObject(
      refused,
    );
    expect(engine.decide({ type: 'contain.source', target: form, params: { toward: '10.20.1.7' } })).toMatchObject(
      refused,
    );
    expect(engine.decide({ type: 'contain.source', target: '10.30.5.42', params: { toward: form } })).toMatchObject(
      refused,
    );
  });

  it('places an unlisted embedded address by the zone of its IPv4, and treats it as that IPv4', () => {
    expect(engine.inventory.resolve('64:ff9b::10.20.77.1')).toMatchObject({
      zone: 'line1-cell',
      domain: 'ot',
      ips: ['10.20.77.1'],
    });
    expect(engine.inventory.resolve('2002:a1e:6363::1')).toMatchObject({ zone: 'corp', domain: 'it', mode: 'auto' });
    expect(engine.inventory.resolve('::ffff:0:10.10.4.17')).toMatchObject({ assetId: 'eng-ws-03' });
    expect(engine.inventory.resolve('2001:db8::10.20.9.1')).toMatchObject({ known: false, safetySystem: false });
  });

  it('matches an asset listed by an embedded form under its plain IPv4, and the reverse', () => {
    const listed = new PolicyEngine({
      ...config,
      assets: config.assets.map((a) => (a.id === 'sis-1' ? { ...a, ips: ['64:ff9b::a14:901'] } : a)),
    });
    for (const ref of ['10.20.9.1', '::ffff:10.20.9.1', '2002:a14:901::1']) {
      expect(listed.inventory.resolve(ref)).toMatchObject({ assetId: 'sis-1', safetySystem: true });
    }
  });

  it('takes the most cautious reading when the IPv6 form and its IPv4 resolve differently', () => {
    // An operator listed the 6to4 range as an IT zone; the embedded IPv4 still names the SIS, or an OT cell.
    const withV6Zone = new PolicyEngine(
      configSchema.parse({
        operators: config.operators,
        zones: [
          ...config.zones.map((z) => ({ ...z })),
          { id: 'v6-office', purdueLevel: 4, mode: 'auto', cidrs: ['2002::/16'] },
        ],
        assets: config.assets,
        policy: { otApproverRoles: ['ot-engineer'] },
      }),
    );
    expect(withV6Zone.inventory.resolve('2002:a14:901::1')).toMatchObject({ assetId: 'sis-1', safetySystem: true });
    expect(withV6Zone.inventory.resolve('2002:a14:4d01::1')).toMatchObject({ zone: 'line1-cell', domain: 'ot' });
    expect(withV6Zone.inventory.resolve('2002:c000:209::1')).toMatchObject({ zone: 'v6-office', domain: 'it' });
  });
});

// ---- Property: every embedding of an inventory IPv4 is that IPv4 to the policy ----

type Bytes = number[];
const byte = fc.integer({ min: 0, max: 255 });
const bytes = (n: number) => fc.array(byte, { minLength: n, maxLength: n });
const zeroBytes = (n: number): Bytes => Array<number>(n).fill(0);

/** The IPv6 bytes of each embedding form of `v4`, with arbitrary bits where the form allows them. */
type Embedding = { form: string; bytes: Bytes };
const embeddingArb = (v4: Bytes): fc.Arbitrary<Embedding> =>
  fc.oneof(
    fc.constant<Embedding>({ form: 'mapped', bytes: [...zeroBytes(10), 0xff, 0xff, ...v4] }),
    fc.constant<Embedding>({ form: 'compatible', bytes: [...zeroBytes(12), ...v4] }),
    fc.constant<Embedding>({ form: 'siit', bytes: [...zeroBytes(8), 0xff, 0xff, 0, 0, ...v4] }),
    fc.constant<Embedding>({ form: 'nat64-wkp', bytes: [0, 0x64, 0xff, 0x9b, ...zeroBytes(8), ...v4] }),
    fc.tuple(byte, bytes(5)).map(([u, suffix]): Embedding => ({
      form: 'nat64-local-48',
      bytes: [0, 0x64, 0xff, 0x9b, 0, 1, ...v4.slice(0, 2), u, ...v4.slice(2), ...suffix],
    })),
    bytes(10).map((rest): Embedding => ({ form: '6to4', bytes: [0x20, 0x02, ...v4, ...rest] })),
  );

/** The ways an operator or a SIEM may write the same IPv6 address. */
const renderArb = (b: Bytes): fc.Arbitrary<string> => {
  const ip = new ipaddr.IPv6(b);
  const hex = (i: number) => (((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16);
  const dottedTail = `${[0, 2, 4, 6, 8, 10].map(hex).join(':')}:${b.slice(12).join('.')}`;
  return fc.constantFrom(
    ip.toRFC5952String(),
    ip.toNormalizedString(),
    ip
      .toNormalizedString()
      .split(':')
      .map((h) => h.padStart(4, '0'))
      .join(':')
      .toUpperCase(),
    dottedTail,
    ` ${ip.toRFC5952String()} `,
  );
};

const ipv4InCidrArb = (cidr: string): fc.Arbitrary<Bytes> => {
  const [network, bits] = ipaddr.parseCIDR(cidr);
  const base = network.toByteArray().reduce((n, x) => n * 256 + x, 0);
  return fc
    .integer({ min: 0, max: 2 ** (32 - bits) - 1 })
    .map((offset) => [24, 16, 8, 0].map((shift) => Math.floor((base + offset) / 2 ** shift) % 256));
};

const notCompatibleEdge = (v4: Bytes, form: string) =>
  !(form === 'compatible' && v4[0] === 0 && v4[1] === 0 && v4[2] === 0 && (v4[3] ?? 0) <= 1);

const embeddedArb = (v4Arb: fc.Arbitrary<Bytes>) =>
  v4Arb.chain((v4) =>
    embeddingArb(v4)
      .filter(({ form }) => notCompatibleEdge(v4, form))
      .chain(({ form, bytes: b }) => renderArb(b).map((text) => ({ v4: v4.join('.'), form, text }))),
  );

/** An action naming `ref` as its source (target, account host) or destination (params.ip, params.toward). */
const actionNamingArb = (ref: string): fc.Arbitrary<ActionRequest> =>
  fc.oneof(
    fc
      .constantFrom(...ACTION_TYPES)
      .map((type): ActionRequest =>
        ACTION_CATALOG[type].targets === 'account'
          ? { type, target: 'svc-historian', params: { host: ref } }
          : { type, target: ref, params: {} },
      ),
    fc.constantFrom('fin-lt-042', '10.30.5.42', 'plc-7').map((target) => ({
      type: 'firewall.quarantine_ip' as const,
      target,
      params: { ip: ref },
    })),
    fc.constantFrom('fin-lt-042', '10.15.3.3', '198.51.100.7').map((target) => ({
      type: 'contain.source' as const,
      target,
      params: { toward: ref },
    })),
    fc.constantFrom('10.20.1.7', '10.10.4.17').map((toward) => ({
      type: 'contain.source' as const,
      target: ref,
      params: { toward },
    })),
  );

const allVotes = {
  votes: config.operators.map((op) => ({ operatorId: op.id, decision: 'approve' as const })),
  breakGlass: { operatorId: 'victor', justification: 'pressure rising on line 1: block the writer immediately' },
};

describe('rule 5 over IPv4 embedded in IPv6 (property-based, real PolicyEngine, reference configuration)', () => {
  const sis = config.assets.find((a) => a.safetySystem);
  const sisIps = sis?.ips ?? [];

  it('the reference configuration has a safety system to protect', () => {
    expect(sisIps).toEqual([SIS_IP]);
  });

  it('refuses any action naming any embedding of the SIS address, as source or destination, and the gate never runs it', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        embeddedArb(fc.constantFrom(...sisIps).map((ip) => ip.split('.').map(Number))).chain((embedded) =>
          actionNamingArb(embedded.text).map((action) => ({ embedded, action })),
        ),
        ({ embedded, action }) => {
          seen.add(embedded.form);
          const decision = engine.decide(action);
          expect(decision).toMatchObject({ outcome: 'refuse', rule: 'rule-5-safety-system' });
          expect(
            checkExecution(decision, { ...allVotes, approvedDigest: decision.actionDigest }, config.operators),
          ).toMatchObject({ allowed: false });
        },
      ),
      { numRuns: 1_000 },
    );
    expect([...seen].sort()).toEqual(['6to4', 'compatible', 'mapped', 'nat64-local-48', 'nat64-wkp', 'siit']);
  });

  it('classifies any embedding of any address in a zone CIDR exactly as the IPv4 itself', () => {
    const cidrs = config.zones.flatMap((z) => z.cidrs);
    expect(cidrs.length).toBeGreaterThan(0);
    const v4Arb = fc.oneof(
      fc.constantFrom(...cidrs).chain(ipv4InCidrArb),
      fc.constantFrom(...config.assets.flatMap((a) => a.ips)).map((ip) => ip.split('.').map(Number)),
      bytes(4),
    );
    const pick = (t: ReturnType<typeof engine.inventory.resolve>) => ({
      assetId: t.assetId,
      zone: t.zone,
      purdueLevel: t.purdueLevel,
      safetySystem: t.safetySystem,
      known: t.known,
      domain: t.domain,
      mode: t.mode,
      ips: t.ips,
    });
    fc.assert(
      fc.property(embeddedArb(v4Arb), ({ v4, text }) => {
        const plain = engine.inventory.resolve(v4);
        expect(pick(engine.inventory.resolve(text))).toEqual(pick(plain));
        const asIpv4 = engine.decide({ type: 'firewall.quarantine_ip', target: v4, params: {} });
        const asIpv6 = engine.decide({ type: 'firewall.quarantine_ip', target: text, params: {} });
        expect({ outcome: asIpv6.outcome, rule: asIpv6.rule }).toEqual({ outcome: asIpv4.outcome, rule: asIpv4.rule });
        if (plain.safetySystem) expect(asIpv6.rule).toBe('rule-5-safety-system');
      }),
      { numRuns: 2_000 },
    );
  });
});
