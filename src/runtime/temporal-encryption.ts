import type { DataConverter } from '@temporalio/common';
import { ConfigError } from '../config/load';
import type { InterlockConfig } from '../config/schema';
import { AesGcmPayloadCodec } from './payload-codec';

/** The module the worker and its workflow bundle load the failure converter from. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The payload codec the configuration asks for. Without keys, api, worker and dev refuse to
 * start unless `temporal.encryption.disabled: true` says so explicitly: alert bodies, user
 * names and hostnames would otherwise reach Temporal's history in clear.
 */
export function payloadCodecFor(config: InterlockConfig): AesGcmPayloadCodec {
  const { keys, activeKeyId, disabled } = config.temporal.encryption;
  if (keys.length === 0 && !disabled)
    throw new ConfigError(
      'temporal.encryption lists no key: alerts, user names and hostnames would be stored in clear in Temporal. ' +
        'Add a key (openssl rand -base64 32; see config/interlock.example.yaml) or set temporal.encryption.disabled: true',
    );
  return new AesGcmPayloadCodec(
    keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })),
    disabled ? undefined : activeKeyId,
  );
}

/**
 * The data converter of every Temporal client (API: intake, approvals, incident queries) and of
 * the worker: the payload codec, and the failure converter that moves failure messages into
 * encrypted attributes (loaded by path: the worker's workflow sandbox loads it too).
 */
export function temporalDataConverter(codec: AesGcmPayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}
