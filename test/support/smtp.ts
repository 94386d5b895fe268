import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message as received by the loopback SMTP server, with its text and HTML parts decoded. */
export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  raw: string;
  text: string;
  html: string;
}

export interface SmtpTestServer {
  host: string;
  port: number;
  messages: ReceivedMail[];
  /** Refuse the next `count` messages with a temporary 451 (SMTP relay trouble). */
  refuseNext(count: number): void;
  close(): Promise<void>;
}

function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function decodePart(headers: string, body: string): string {
  const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** Just enough MIME for nodemailer's output: a single part or multipart/alternative. */
export function parseMail(raw: string): Omit<ReceivedMail, 'from' | 'to' | 'raw'> {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const subjectRaw = /^subject:\s*(.*)$/im.exec(head)?.[1] ?? '';
  const subject = subjectRaw
    .replace(/=\?utf-8\?([QB])\?(.*?)\?=/gi, (_m, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    )
    .replace(/\?=\s+=\?/g, '');
  const boundary = /boundary="?([^";\s]+)"?/i.exec(head)?.[1];
  let text = '';
  let html = '';
  const parts =
    boundary === undefined
      ? [{ headers: head, body }]
      : body
          .split(`--${boundary}`)
          .slice(1, -1)
          .map((part) => {
            const at = part.indexOf('\r\n\r\n');
            return { headers: part.slice(0, at), body: part.slice(at + 4).replace(/\r\n$/, '') };
          });
  for (const part of parts) {
    const type = /content-type:\s*([\w/-]+)/i.exec(part.headers)?.[1]?.toLowerCase() ?? 'text/plain';
    if (type === 'text/plain') text = decodePart(part.headers, part.body);
    if (type === 'text/html') html = decodePart(part.headers, part.body);
  }
  return { subject, text, html };
}

/** A real SMTP server on 127.0.0.1 (random port) that keeps every message it accepts. */
export async function startSmtpServer(): Promise<SmtpTestServer> {
  const messages: ReceivedMail[] = [];
  let refusals = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (refusals > 0) {
          refusals -= 1;
          const error = Object.assign(new Error('try again later'), { responseCode: 451 });
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...parseMail(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    messages,
    refuseNext(count) {
      refusals += count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
