import { ConsoleAuthService } from '../../src/api/console/auth/console-auth.service';
import { OperatorDirectory } from '../../src/api/auth/operator-directory';
import type { ConsoleSessionStore } from '../../src/api/console/auth/session-store';
import { exampleConfig } from '../support/example-config';

/** A session outlives a restart: its operator is checked against the configuration of now. */
describe('a console session’s operator, as configured now', () => {
  const config = exampleConfig();
  const service = (operators = config.operators) =>
    new ConsoleAuthService(
      { ...config, operators },
      new OperatorDirectory(operators),
      {} as ConsoleSessionStore,
      { info: () => undefined, warn: () => undefined, error: () => undefined } as never,
    );
  const grace = { id: 'grace', name: 'Grace Lin', roles: ['ot-engineer', 'shift-lead'] };

  it('keeps an operator still configured with the session’s roles', () => {
    expect(service().currentOperator(grace)).toEqual(grace);
  });

  it('drops roles taken away since, and ends the session when none is left or the operator is gone', () => {
    const demoted = config.operators.map((o) => (o.id === 'grace' ? { ...o, roles: ['shift-lead'] } : o));
    expect(service(demoted).currentOperator(grace)).toEqual({ ...grace, roles: ['shift-lead'] });
    const stripped = config.operators.map((o) => (o.id === 'grace' ? { ...o, roles: ['auditor'] } : o));
    expect(service(stripped).currentOperator(grace)).toBeUndefined();
    expect(service(config.operators.filter((o) => o.id !== 'grace')).currentOperator(grace)).toBeUndefined();
  });
});
