/** Reading request bodies and writing JSON and Status responses the way kube-apiserver frames them. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './errors.js';
import { PROTOBUF_MEDIA_TYPE, decodeProtobufObject } from './protobuf.js';

const MAX_BODY_BYTES = 3 * 1024 * 1024; // etcd's default request limit is about this size

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: unknown): void {
  const apiError =
    error instanceof ApiError
      ? error
      : new ApiError(
          500,
          'InternalError',
          `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`,
        );
  if (apiError.code === 503 && apiError.details?.retryAfterSeconds !== undefined) {
    res.setHeader('Retry-After', String(apiError.details.retryAfterSeconds));
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, apiError.code, apiError.status());
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Decodes a JSON, YAML or (for the kinds kubectl sends so) protobuf request body; `undefined` when empty. */
export function decodeBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const media = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (media === PROTOBUF_MEDIA_TYPE) return decodeProtobufObject(raw);
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return media.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body of the request could not be decoded: ${(error as Error).message.split('\n')[0]}`);
  }
}
