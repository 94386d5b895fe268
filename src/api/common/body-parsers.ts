import express, { type NextFunction, type Request, type Response } from 'express';

interface BodyParserError extends Error {
  status?: number;
  type?: string;
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { status, code, message } });
}

/**
 * Body parsing with JSON errors. Webhooks keep the raw bytes (signatures are computed over
 * them and the alert records their hash); other routes get parsed JSON.
 */
export function bodyParsers(maxWebhookBytes: number) {
  const raw = express.raw({ type: () => true, limit: maxWebhookBytes });
  const json = express.json({ limit: '64kb' });
  const urlencoded = express.urlencoded({ extended: false, limit: '64kb' });
  const handle = (parser: express.RequestHandler) => (req: Request, res: Response, next: NextFunction) => {
    parser(req, res, (err?: unknown) => {
      if (err === undefined || err === null) return next();
      const error = err as BodyParserError;
      if (error.type === 'entity.too.large')
        return sendError(res, 413, 'payload_too_large', `body exceeds the limit of ${maxWebhookBytes} bytes`);
      if (error.type === 'entity.parse.failed') return sendError(res, 400, 'malformed_json', 'body is not valid JSON');
      if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported')
        return sendError(res, 415, 'unsupported_media_type', error.message);
      return sendError(
        res,
        error.status !== undefined && error.status < 500 ? error.status : 400,
        'bad_request',
        'could not read the request body',
      );
    });
  };
  return { webhook: handle(raw), json: handle(json), urlencoded: handle(urlencoded) };
}
