/**
 * AES-256-GCM payload codec: what Interlock hands to Temporal (alerts, user names, hostnames,
 * failure messages) is stored encrypted in Temporal's history. A payload is encrypted whole
 * (its metadata and data, as protobuf) with the active key; the key's ID travels in the
 * encrypted payload's metadata, so a key can be rotated while older histories still decrypt
 * with the older key, as long as it stays listed.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** The `encoding` of an encrypted payload (the name Temporal's samples and codec servers use). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key that encrypted a payload. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const ProtoPayload = temporal.api.common.v1.Payload;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export interface EncryptionKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** A payload that cannot be decrypted: unknown key, altered or truncated ciphertext. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly active: { id: string; idBytes: Uint8Array; key: Buffer } | undefined;

  /**
   * `activeKeyId` encrypts new payloads; every listed key decrypts. Without an active key the
   * codec encrypts nothing but still decrypts (encryption turned off, old histories readable).
   */
  constructor(keys: readonly EncryptionKey[], activeKeyId: string | undefined) {
    const byId = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (key.length !== KEY_BYTES) throw new Error(`encryption key "${id}" is ${key.length} bytes, expected 32`);
      if (byId.has(id)) throw new Error(`encryption key "${id}" is listed twice`);
      byId.set(id, Buffer.from(key));
    }
    this.keys = byId;
    if (activeKeyId !== undefined) {
      const key = byId.get(activeKeyId);
      if (key === undefined) throw new Error(`the active encryption key "${activeKeyId}" is not listed`);
      this.active = { id: activeKeyId, idBytes: utf8.encode(activeKeyId), key };
    }
  }

  /** The ID new payloads are encrypted with (undefined: encryption off). */
  get activeKeyId(): string | undefined {
    return this.active?.id;
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const active = this.active;
    if (active === undefined) return Promise.resolve(payloads);
    return Promise.resolve(
      payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', active.key, iv);
        // The key ID is authenticated too: relabelling a payload with another key ID fails.
        cipher.setAAD(active.idBytes);
        const ciphertext = cipher.update(ProtoPayload.encode(payload).finish());
        const final = cipher.final();
        return {
          metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: active.idBytes },
          data: Buffer.concat([iv, ciphertext, final, cipher.getAuthTag()]),
        };
      }),
    );
  }

  /** Decrypts encrypted payloads; others (written before encryption was on) pass through unchanged. */
  decode(payloads: Payload[]): Promise<Payload[]> {
    // A throw in the executor rejects the promise.
    return new Promise((resolve) => resolve(payloads.map((payload) => this.decodeOne(payload))));
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.['encoding'];
    if (encoding === undefined || encoding === null || fromUtf8.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    if (idBytes === undefined || idBytes === null)
      throw new PayloadDecryptionError(`an encrypted payload names no key (metadata "${KEY_ID_METADATA}")`);
    const id = fromUtf8.decode(idBytes);
    const key = this.keys.get(id);
    if (key === undefined)
      throw new PayloadDecryptionError(
        `a payload was encrypted with key "${id.slice(0, 64)}", which is not in temporal.encryption.keys: ` +
          'list that key again to read histories written with it',
      );
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadDecryptionError(`a payload encrypted with key "${id}" is truncated`);
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(idBytes);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionError(
        `a payload encrypted with key "${id}" failed authentication: it was altered, or the key listed as "${id}" is not the one that encrypted it`,
      );
    }
    return ProtoPayload.decode(plaintext);
  }
}
