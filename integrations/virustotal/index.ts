/** VirusTotal: intel.lookup of a file hash, IP, domain or URL (API v3 object reports). */
import { defineConnector } from '../connector';
import { intelLookupHandler } from '../intel-lookup';
import { VirusTotalClient } from './client';
import { virustotalConfigSchema } from './config';
import { manifest } from './manifest';

export const virustotal = defineConnector({
  manifest,
  configSchema: virustotalConfigSchema,
  createClient: (config, options) => new VirusTotalClient(config, options),
  actions: { 'intel.lookup': intelLookupHandler('virustotal') },
});
