import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Role } from '../auth/role.decorator';
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the page's files are: src/ui/public when run from source (ts-jest, ts-node) and
 * dist/ui/public when compiled (nest-cli.json copies them there as assets).
 */
export const UI_PUBLIC_DIR = join(__dirname, 'public');

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
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
  watches: { file: 'watches.js', type: 'text/javascript; charset=utf-8' },
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
        `nest-cli.json compilerOptions.assets must copy ui/public/**/* into dist`,
    );
  }
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
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
    watches: load(FILES.watches.file, FILES.watches.type),
  };

  @Get()
  page(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    this.send(this.assets.page, ifNoneMatch, reply);
  }

  @Get('ui/annals.css')
  style(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    this.send(this.assets.style, ifNoneMatch, reply);
  }

  @Get('ui/annals.js')
  script(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    this.send(this.assets.script, ifNoneMatch, reply);
  }

  /** Watches on the page (src/watches): a file of its own, so that the page can be redone around it. */
  @Get('ui/watches.js')
  watchesScript(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    this.send(this.assets.watches, ifNoneMatch, reply);
  }

  private send(asset: Asset, ifNoneMatch: string | undefined, reply: FastifyReply): void {
    void reply
      .header('etag', asset.etag)
      // Revalidate every time: a deploy shows its new page at once, and an unchanged file costs a 304.
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', CONTENT_SECURITY_POLICY);
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === asset.etag)) {
      void reply.status(304).send();
      return;
    }
    void reply.status(200).header('content-type', asset.type).send(asset.body);
  }
}
