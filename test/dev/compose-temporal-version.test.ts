/**
 * docker-compose.yml runs the Temporal server version the suite's production-server smoke
 * (test/e2e/production-temporal.test.ts) builds and tests with scripts/temporal-server.sh.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/stack';
import { temporalServerVersion } from '../support/temporal-server';

it('docker-compose.yml runs the Temporal server version scripts/temporal-server.sh builds', () => {
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { image?: string }>;
  };
  const image = compose.services['temporal']?.image ?? '';
  expect(image).toMatch(/^temporalio\/(auto-setup|server):/);
  expect(`v${image.split(':')[1]}`).toBe(temporalServerVersion());
  expect(temporalServerVersion()).toMatch(/^v\d+\.\d+\.\d+$/);
});
