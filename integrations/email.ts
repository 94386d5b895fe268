import nodemailer, { type Transporter } from 'nodemailer';

/** SMTP delivery through a configured relay (nodemailer). */
export interface EmailSettings {
  smtp: { host: string; port: number; secure: boolean; user?: string | undefined; password?: string | undefined };
  from: string;
}

export interface EmailMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export class EmailClient {
  private readonly transport: Transporter;

  constructor(private readonly settings: EmailSettings) {
    const { smtp } = settings;
    this.transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user === undefined ? {} : { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
      // Fail fast: the notify activity retries with backoff, so one attempt must not hang.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 15_000,
    });
  }

  /** Sends one message; throws when the relay refuses or cannot be reached. */
  async send(message: EmailMessage): Promise<void> {
    await this.transport.sendMail({
      from: this.settings.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  }

  close(): void {
    this.transport.close();
  }
}
