import {
  checkCondition,
  checkExpression,
  checkTemplate,
  evaluateCondition,
  evaluateExpression,
  ExpressionError,
  renderParams,
  renderTarget,
  renderTemplate,
} from '../../src/playbooks/expressions';
import { buildAlert, modbusWriteAlert, splunkRansomwareAlert } from './sample-alerts';

const vars = (alert = splunkRansomwareAlert, steps: Record<string, unknown> = {}) => ({
  alert,
  incident: { id: 'inc-42' },
  steps,
});

describe('evaluateCondition', () => {
  it('evaluates CEL over alert, incident and steps', () => {
    expect(evaluateCondition('alert.title.contains("Ransomware")', vars())).toBe(true);
    expect(evaluateCondition('alert.title.contains("Modbus")', vars())).toBe(false);
    expect(evaluateCondition('incident.id == "inc-42"', vars())).toBe(true);
    expect(
      evaluateCondition(
        'steps["contain-host"].status == "succeeded"',
        vars(undefined, { 'contain-host': { status: 'succeeded' } }),
      ),
    ).toBe(true);
  });

  it('treats integer fields as CEL ints, so int literals and arithmetic work', () => {
    expect(evaluateCondition('alert.severityId >= 4', vars())).toBe(true);
    expect(evaluateCondition('alert.severityId + 1 == 5', vars())).toBe(true);
    expect(evaluateCondition('size(alert.hosts) == 2', vars())).toBe(true);
  });

  it('answers has() for optional alert fields', () => {
    const noDirection = buildAlert({ hosts: [{ hostname: 'x' }] });
    expect(evaluateCondition('has(alert.src)', vars(noDirection))).toBe(false);
    expect(evaluateCondition('has(alert.src)', vars(modbusWriteAlert))).toBe(true);
    expect(evaluateCondition('has(alert.src) && has(alert.src.hostname)', vars(splunkRansomwareAlert))).toBe(false);
    expect(evaluateCondition('has(alert.src) && alert.src.ip == "10.10.4.17"', vars(noDirection))).toBe(false);
  });

  it('raises ExpressionError when a missing field is read without has()', () => {
    const noDirection = buildAlert();
    expect(() => evaluateCondition('alert.src.ip == "1.2.3.4"', vars(noDirection))).toThrow(ExpressionError);
    expect(() => evaluateCondition('alert.src.ip == "1.2.3.4"', vars(noDirection))).toThrow(/No such key: src/);
  });

  it('rejects a non-boolean result', () => {
    expect(() => evaluateCondition('size(alert.hosts)', vars())).toThrow(ExpressionError);
    expect(() => evaluateCondition('alert.title', vars())).toThrow(
      /must be a boolean, got string "EDR - Ransomware Behaviour"/,
    );
  });

  it('rejects syntax errors with the expression in the message', () => {
    let caught: unknown;
    try {
      evaluateCondition('alert.title ==', vars());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionError);
    expect((caught as ExpressionError).expression).toBe('alert.title ==');
    expect((caught as ExpressionError).message).toContain('invalid expression "alert.title =="');
  });

  it('does not expose JS prototype members', () => {
    expect(evaluateCondition('has(alert.constructor)', vars())).toBe(false);
    expect(() => evaluateExpression('alert["__proto__"]', vars())).toThrow(ExpressionError);
  });

  it('returns the same result for a cached program with different variables', () => {
    const expr = 'alert.title.contains("Modbus")';
    expect(evaluateCondition(expr, vars(modbusWriteAlert))).toBe(true);
    expect(evaluateCondition(expr, vars(splunkRansomwareAlert))).toBe(false);
  });
});

describe('renderTemplate', () => {
  it('returns a string without placeholders unchanged', () => {
    expect(renderTemplate('fin-lt-042', vars())).toBe('fin-lt-042');
    expect(renderTemplate('', vars())).toBe('');
  });

  it('returns the raw value when the whole string is one placeholder', () => {
    expect(renderTemplate('{{ alert.hosts[0].hostname }}', vars())).toBe('fin-lt-042');
    expect(renderTemplate('{{ size(alert.hosts) }}', vars())).toBe(2);
    expect(renderTemplate('{{alert.severityId >= 4}}', vars())).toBe(true);
    expect(renderTemplate('{{ alert.ips }}', vars())).toEqual(['198.51.100.23']);
  });

  it('interpolates several placeholders into a string', () => {
    expect(
      renderTemplate(
        'Ransomware {{ alert.uid }} on {{ alert.hosts[0].hostname }} ({{ size(alert.hosts) }} hosts)',
        vars(),
      ),
    ).toBe(`Ransomware ${splunkRansomwareAlert.uid} on fin-lt-042 (2 hosts)`);
  });

  it('falls back on missing fields with optional chaining', () => {
    const template = '{{ alert.hosts[1].?hostname.orValue(alert.hosts[1].ip) }}';
    expect(renderTemplate(template, vars())).toBe('198.51.100.23');
    expect(renderTemplate('{{ alert.?src.?hostname.orValue("none") }}', vars(buildAlert()))).toBe('none');
  });

  it('ends a placeholder at the right braces, not inside strings or map literals', () => {
    expect(renderTemplate('[{{ "}}" }}]', vars())).toBe('[}}]');
    expect(renderTemplate('{{ {"a": {"b": "deep"}}.a.b }}!', vars())).toBe('deep!');
  });

  it('rejects non-scalar values inside a larger string', () => {
    expect(() => renderTemplate('ips: {{ alert.ips }}', vars())).toThrow(
      /must yield a string, number or boolean, got a list/,
    );
  });

  it('rejects unterminated and empty placeholders', () => {
    expect(() => renderTemplate('{{ alert.uid', vars())).toThrow(/unterminated "\{\{"/);
    expect(() => renderTemplate('x {{ }} y', vars())).toThrow(/empty "\{\{ \}\}"/);
  });

  it('raises ExpressionError for a missing field', () => {
    expect(() => renderTemplate('{{ alert.src.hostname }}', vars())).toThrow(ExpressionError);
  });
});

describe('renderTarget and renderParams', () => {
  it('renders a non-empty string target', () => {
    expect(renderTarget('{{ alert.dst.hostname }}', vars())).toBe('fin-lt-042');
    expect(renderTarget('10.0.0.1', vars())).toBe('10.0.0.1');
  });

  it('rejects targets that are empty or not strings', () => {
    expect(() => renderTarget('{{ alert.?src.?hostname.orValue("") }}', vars())).toThrow(/non-empty string/);
    expect(() => renderTarget('{{ size(alert.hosts) }}', vars())).toThrow(/non-empty string, got number 2/);
  });

  it('renders string params as templates and keeps numbers and booleans', () => {
    expect(
      renderParams({ ip: '{{ alert.src.ip }}', count: '{{ size(alert.ips) }}', ttl: 3600, notify: true }, vars()),
    ).toEqual({
      ip: '198.51.100.23',
      count: 1,
      ttl: 3600,
      notify: true,
    });
  });

  it('rejects params that render to lists', () => {
    expect(() => renderParams({ ips: '{{ alert.ips }}' }, vars())).toThrow(
      /param "ips" must render to a string, number or boolean/,
    );
  });
});

describe('checkExpression / checkCondition / checkTemplate', () => {
  it('accepts valid expressions', () => {
    expect(checkExpression('has(alert.src) && alert.src.ip == "1.2.3.4"')).toBeUndefined();
    expect(checkCondition('alert.severityId >= 4')).toBeUndefined();
    expect(checkTemplate('{{ alert.uid }} and {{ incident.id }}')).toBeUndefined();
    expect(checkTemplate('no placeholders')).toBeUndefined();
  });

  it('reports syntax errors with a column', () => {
    expect(checkExpression('alert.title ==')).toMatch(/Unexpected token: EOF \(at column 15\)/);
  });

  it('reports unknown variables (typos)', () => {
    expect(checkExpression('alrt.title == "x"')).toMatch(/Unknown variable: alrt/);
  });

  it('reports has() on an indexed path, which this CEL implementation cannot evaluate', () => {
    expect(checkExpression('has(alert.hosts[0].ip)')).toMatch(/has\(\) invalid argument/);
  });

  it('rejects conditions that can only yield a non-boolean', () => {
    expect(checkCondition('size(alert.hosts)')).toMatch(/must be a boolean expression, but it returns int/);
    expect(checkExpression('size(alert.hosts)')).toBeUndefined();
  });

  it('reports the failing placeholder of a template', () => {
    expect(checkTemplate('ok {{ alert.uid }} bad {{ alert. }}')).toMatch(/^in "\{\{ alert\. \}\}": /);
    expect(checkTemplate('{{ alert.uid')).toMatch(/unterminated/);
  });

  it('rejects empty expressions', () => {
    expect(checkExpression('  ')).toBe('expression is empty');
  });
});
