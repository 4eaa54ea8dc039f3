import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Role } from '../auth/role.decorator';
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { join } from 'node:path';

/**
 * Where the page's files are: src/ui/public when run from source (ts-jest, ts-node) and
 * dist/ui/public when compiled (nest-cli.json copies them there as assets). scripts/build-ui.js
 * writes that folder from src/ui/client: the page, its one script and its one stylesheet.
 */
export const UI_PUBLIC_DIR = join(__dirname, 'public');

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
  /** Compressed once at start: the script is mostly the chart library, a third of its size compressed. */
  readonly br: Buffer;
  readonly gzip: Buffer;
}

/**
 * The page may load its own script and stylesheet and call its own API, nothing else: no inline
 * script, no third-party origin. Data is written into the page as text, never as markup, and this
 * policy is the second line of defence if that ever slips.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** A fixed list: the URL never becomes a file path, so nothing else on disk can be served. */
const FILES = {
  page: { file: 'index.html', type: 'text/html; charset=utf-8' },
  style: { file: 'annals.css', type: 'text/css; charset=utf-8' },
  script: { file: 'annals.js', type: 'text/javascript; charset=utf-8' },
} as const;

function load(file: string, type: string): Asset {
  const path = join(UI_PUBLIC_DIR, file);
  let body: Buffer;
  try {
    body = readFileSync(path);
  } catch (error) {
    // A build that forgot the assets should fail at start, not answer 404 to every reader.
    throw new Error(
      `the web UI file ${path} is missing (${error instanceof Error ? error.message : String(error)}); ` +
        `run npm run build:ui (scripts/build-ui.js); nest-cli.json compilerOptions.assets must copy ui/public/**/* into dist`,
    );
  }
  return {
    body,
    type,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    gzip: gzipSync(body, { level: 9 }),
  };
}

/** The reading room: one HTML page, one stylesheet, one script, all read once at start. */
@ApiExcludeController()
@SkipThrottle()
@Role('public')
@Controller()
export class UiController {
  private readonly assets: Record<keyof typeof FILES, Asset> = {
    page: load(FILES.page.file, FILES.page.type),
    style: load(FILES.style.file, FILES.style.type),
    script: load(FILES.script.file, FILES.script.type),
  };

  @Get()
  page(@Headers('if-none-match') ifNoneMatch: string | undefined, @Headers('accept-encoding') encodings: string | undefined, @Res() reply: FastifyReply): void {
    this.send(this.assets.page, ifNoneMatch, encodings, reply);
  }

  @Get('ui/annals.css')
  style(@Headers('if-none-match') ifNoneMatch: string | undefined, @Headers('accept-encoding') encodings: string | undefined, @Res() reply: FastifyReply): void {
    this.send(this.assets.style, ifNoneMatch, encodings, reply);
  }

  @Get('ui/annals.js')
  script(@Headers('if-none-match') ifNoneMatch: string | undefined, @Headers('accept-encoding') encodings: string | undefined, @Res() reply: FastifyReply): void {
    this.send(this.assets.script, ifNoneMatch, encodings, reply);
  }

  private send(asset: Asset, ifNoneMatch: string | undefined, encodings: string | undefined, reply: FastifyReply): void {
    const accepted = (encodings ?? '').split(',').map((e) => e.split(';')[0].trim().toLowerCase());
    const encoding = accepted.includes('br') ? 'br' : accepted.includes('gzip') ? 'gzip' : undefined;
    // Each encoding is its own representation, so its own strong ETag.
    const etag = encoding ? `${asset.etag.slice(0, -1)}-${encoding}"` : asset.etag;
    void reply
      .header('etag', etag)
      .header('vary', 'accept-encoding')
      // Revalidate every time: a deploy shows its new page at once, and an unchanged file costs a 304.
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', CONTENT_SECURITY_POLICY);
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === etag)) {
      void reply.status(304).send();
      return;
    }
    if (encoding) void reply.header('content-encoding', encoding);
    void reply.status(200).header('content-type', asset.type).send(encoding ? asset[encoding] : asset.body);
  }
}
