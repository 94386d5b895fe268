import { connect, type Socket } from 'node:net';

/**
 * The benchmark's load generator: HTTP/1.1 POSTs over kept-alive TCP connections, one request
 * at a time per connection, each answer read only as far as its status line and its
 * Content-Length body. node:http's client spends several times more CPU per request, and on a
 * 2-core machine every cycle the load generator spends is taken from the system under test.
 */
export class LoadClient {
  private readonly idle: Connection[] = [];

  constructor(private readonly baseUrl: string) {}

  /** POSTs a JSON body; resolves with the answer's status code. */
  async post(path: string, headers: Record<string, string>, body: string): Promise<number> {
    const { host, hostname, port } = new URL(this.baseUrl);
    const head = [
      `POST ${path} HTTP/1.1`,
      `host: ${host}`,
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    const request = Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`);
    // A kept-alive connection the server closed meanwhile (its idle timeout) fails before any
    // answer, with a close or a reset: once more on a new one.
    for (let attempt = 0; ; attempt += 1) {
      let connection = this.idle.pop();
      while (connection?.closed) connection = this.idle.pop();
      connection ??= await Connection.open(hostname, Number(port));
      try {
        const status = await connection.send(request);
        this.idle.push(connection);
        return status;
      } catch (error) {
        connection.close();
        if (attempt > 0 || !isClosedBeforeAnswer(error)) throw error;
      }
    }
  }

  close(): void {
    for (const connection of this.idle.splice(0)) connection.close();
  }
}

class ConnectionClosed extends Error {}

function isClosedBeforeAnswer(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return error instanceof ConnectionClosed || code === 'ECONNRESET' || code === 'EPIPE';
}

class Connection {
  closed = false;
  private buffered = Buffer.alloc(0);
  private waiting: { resolve: (status: number) => void; reject: (error: Error) => void } | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new ConnectionClosed('the server closed the connection')));
  }

  static open(host: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new Connection(socket));
      });
      socket.once('error', reject);
    });
  }

  send(request: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headEnd = this.buffered.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buffered.subarray(0, headEnd).toString('latin1');
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
    if (length === undefined) {
      this.fail(new Error(`answer without content-length: ${head.split('\r\n')[0] ?? ''}`));
      this.close();
      return;
    }
    const end = headEnd + 4 + Number(length);
    if (this.buffered.length < end) return;
    this.buffered = this.buffered.subarray(end);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(Number(head.slice(9, 12)));
  }

  private fail(error: Error): void {
    this.closed = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    // Part of an answer came: the server handled the request, so it must not be sent again.
    waiting?.reject(this.buffered.length > 0 ? new Error(`connection lost mid-answer: ${error.message}`) : error);
  }
}
