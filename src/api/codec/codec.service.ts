import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { InterlockConfig } from '../../config/schema';
import { PayloadDecryptionError } from '../../runtime/payload-codec';
import { type AuthenticatedOperator, OperatorDirectory } from '../auth/operator-directory';
import { ApiError } from '../common/api-error';
import { CONFIG, TEMPORAL_CLIENT } from '../tokens';
import { signCodecLink } from './codec-link';

/** Temporal Payloads as protobuf JSON: bytes in base64. */
export interface PayloadsJson {
  payloads: { metadata?: Record<string, string> | undefined; data?: string | undefined }[];
}

function fromJson(json: PayloadsJson['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(json.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(json.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  const bytes = (value: Uint8Array | null | undefined) => (value ? Buffer.from(value).toString('base64') : '');
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, bytes(v)])),
    data: bytes(payload.data),
  };
}

/** Encodes and decodes payloads with the API's own payload codecs; signs codec endpoint links. */
@Injectable()
export class CodecService {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(OperatorDirectory) private readonly directory: OperatorDirectory,
  ) {}

  /** A codec endpoint URL for this operator's Temporal Web UI (valid 12 hours). */
  link(operator: AuthenticatedOperator): { endpoint: string; expiresAt: string } {
    const apiKey = this.directory.byId(operator.id)?.apiKey;
    if (apiKey === undefined) throw new ApiError(401, 'unauthorized', 'operator has no API key');
    const { path, expiresAt } = signCodecLink(apiKey, operator.id);
    return { endpoint: `${this.config.server.publicUrl.replace(/\/+$/, '')}${path}`, expiresAt };
  }

  async apply(direction: 'decode' | 'encode', { payloads }: PayloadsJson) {
    const codecs = this.temporal.options.loadedDataConverter.payloadCodecs;
    let result = payloads.map(fromJson);
    try {
      // Encoded in the codecs' order, decoded in reverse (as the SDK does).
      for (const codec of direction === 'encode' ? codecs : [...codecs].reverse())
        result = await codec[direction](result);
    } catch (error) {
      if (error instanceof PayloadDecryptionError) throw new ApiError(400, 'undecodable_payload', error.message);
      throw error;
    }
    return { payloads: result.map(toJson) };
  }
}
