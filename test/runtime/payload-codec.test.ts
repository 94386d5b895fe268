import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { parseConfig } from '../../src/config/load';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  PayloadDecryptionError,
} from '../../src/runtime/payload-codec';
import { payloadCodecFor } from '../../src/runtime/temporal-encryption';

const OLD = { id: 'k-2024', key: Buffer.alloc(32, 0x11) };
const NEW = { id: 'k-2025', key: Buffer.alloc(32, 0x22) };
const ALERT = { title: 'Ransomware on fin-lt-042', user: 'j.doe@corp.example.net', hostname: 'fin-lt-042' };

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const clear = (): Payload => defaultPayloadConverter.toPayload(ALERT);

async function encodeOne(codec: AesGcmPayloadCodec, payload: Payload = clear()): Promise<Payload> {
  const [encoded] = await codec.encode([payload]);
  return encoded as Payload;
}

async function decodeOne(codec: AesGcmPayloadCodec, payload: Payload): Promise<Payload> {
  const [decoded] = await codec.decode([payload]);
  return decoded as Payload;
}

describe('AesGcmPayloadCodec', () => {
  it('round-trips a payload, and the encrypted form shows nothing of it', async () => {
    const codec = new AesGcmPayloadCodec([OLD], OLD.id);
    const encoded = await encodeOne(codec);
    expect(text(encoded.metadata?.['encoding'])).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded.metadata?.[KEY_ID_METADATA])).toBe(OLD.id);
    expect(Object.keys(encoded.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
    const raw = Buffer.from(encoded.data ?? []).toString('latin1');
    for (const value of [...Object.values(ALERT), 'json/plain']) expect(raw).not.toContain(value);

    const decoded = await decodeOne(codec, encoded);
    expect(text(decoded.metadata?.['encoding'])).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(ALERT);
  });

  it('uses a fresh IV for every payload', async () => {
    const codec = new AesGcmPayloadCodec([OLD], OLD.id);
    const [a, b] = await codec.encode([clear(), clear()]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
  });

  it('passes payloads that are not encrypted through unchanged (histories written before encryption)', async () => {
    const codec = new AesGcmPayloadCodec([OLD], OLD.id);
    const plain = clear();
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('refuses a payload whose key ID is not configured, naming the key', async () => {
    const encoded = await encodeOne(new AesGcmPayloadCodec([OLD], OLD.id));
    const withoutOld = new AesGcmPayloadCodec([NEW], NEW.id);
    await expect(withoutOld.decode([encoded])).rejects.toThrow(PayloadDecryptionError);
    await expect(withoutOld.decode([encoded])).rejects.toThrow(
      'a payload was encrypted with key "k-2024", which is not in temporal.encryption.keys',
    );
  });

  it('refuses a payload when the key listed under its ID is not the one that encrypted it', async () => {
    const encoded = await encodeOne(new AesGcmPayloadCodec([OLD], OLD.id));
    const impostor = new AesGcmPayloadCodec([{ id: OLD.id, key: NEW.key }], OLD.id);
    await expect(impostor.decode([encoded])).rejects.toThrow(/key "k-2024" failed authentication/);
  });

  it('refuses tampered ciphertext, a relabelled key ID and a truncated payload', async () => {
    const codec = new AesGcmPayloadCodec([OLD, NEW], OLD.id);
    const encoded = await encodeOne(codec);
    const data = Buffer.from(encoded.data ?? []);

    const flipped = Buffer.from(data);
    flipped[20] = (flipped[20] ?? 0) ^ 0x01;
    await expect(codec.decode([{ ...encoded, data: flipped }])).rejects.toThrow(/failed authentication/);

    // Both keys are known: only the authenticated key ID stops the relabelling.
    const relabelled = { ...encoded, metadata: { ...encoded.metadata, [KEY_ID_METADATA]: Buffer.from(NEW.id) } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key "k-2025" failed authentication/);

    await expect(codec.decode([{ ...encoded, data: data.subarray(0, 20) }])).rejects.toThrow(/truncated/);
    const { [KEY_ID_METADATA]: _dropped, ...noKeyId } = encoded.metadata ?? {};
    await expect(codec.decode([{ ...encoded, metadata: noKeyId }])).rejects.toThrow(/names no key/);
  });

  it('rotates: decodes with the old key, encodes with the new one, and the old key can then be retired', async () => {
    const before = new AesGcmPayloadCodec([OLD], OLD.id);
    const written = await encodeOne(before);

    const rotated = new AesGcmPayloadCodec([OLD, NEW], NEW.id);
    expect(defaultPayloadConverter.fromPayload(await decodeOne(rotated, written))).toEqual(ALERT);
    const rewritten = await encodeOne(rotated);
    expect(text(rewritten.metadata?.[KEY_ID_METADATA])).toBe(NEW.id);

    const retired = new AesGcmPayloadCodec([NEW], NEW.id);
    expect(defaultPayloadConverter.fromPayload(await decodeOne(retired, rewritten))).toEqual(ALERT);
    await expect(retired.decode([written])).rejects.toThrow(/key "k-2024", which is not in/);
  });

  it('without an active key encodes nothing but still decrypts', async () => {
    const written = await encodeOne(new AesGcmPayloadCodec([OLD], OLD.id));
    const off = new AesGcmPayloadCodec([OLD], undefined);
    const plain = clear();
    expect(await off.encode([plain])).toEqual([plain]);
    expect(defaultPayloadConverter.fromPayload(await decodeOne(off, written))).toEqual(ALERT);
  });

  it('refuses a key of the wrong length and an active key that is not listed', () => {
    expect(() => new AesGcmPayloadCodec([{ id: 'short', key: Buffer.alloc(16) }], 'short')).toThrow(
      'encryption key "short" is 16 bytes, expected 32',
    );
    expect(() => new AesGcmPayloadCodec([OLD], NEW.id)).toThrow('the active encryption key "k-2025" is not listed');
  });
});

describe('payloadCodecFor', () => {
  it('refuses to run without keys unless encryption is disabled explicitly', () => {
    expect(() => payloadCodecFor(parseConfig('server: { port: 0 }\n', {}))).toThrow(
      /temporal\.encryption lists no key: .* set temporal\.encryption\.disabled: true/,
    );
    const disabled = payloadCodecFor(parseConfig('temporal:\n  encryption: { disabled: true }\n', {}));
    expect(disabled.activeKeyId).toBeUndefined();
  });

  it('builds the codec from the configured keys', async () => {
    const key = NEW.key.toString('base64');
    const config = parseConfig(`temporal:\n  encryption:\n    keys: [{ id: k-2025, key: "${key}" }]\n`, {});
    const codec = payloadCodecFor(config);
    expect(codec.activeKeyId).toBe('k-2025');
    const encoded = await encodeOne(codec);
    expect(
      defaultPayloadConverter.fromPayload(await decodeOne(new AesGcmPayloadCodec([NEW], undefined), encoded)),
    ).toEqual(ALERT);
  });
});
