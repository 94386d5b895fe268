/** MISP: intel.lookup of a file hash, IP, domain or URL (attribute restSearch). */
import { defineConnector } from '../connector';
import { intelLookupHandler } from '../intel-lookup';
import { MispClient } from './client';
import { mispConfigSchema } from './config';
import { manifest } from './manifest';

export const misp = defineConnector({
  manifest,
  configSchema: mispConfigSchema,
  createClient: (config, options) => new MispClient(config, options),
  actions: { 'intel.lookup': intelLookupHandler('misp') },
});
