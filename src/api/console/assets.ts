/**
 * The console's static files (src/api/console/assets/: one CSS file, small same-origin
 * scripts), read once at start and served by ConsoleAssetsController: no CDN, no build step,
 * the console works offline. Pages link them with a content hash (`?v=`), so a new release is
 * fetched at once while an unchanged file is revalidated with its ETag.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

export interface ConsoleAsset {
  name: string;
  contentType: string;
  body: Buffer;
  /** The first 16 hex digits of the SHA-256 of the body: the ETag and the `?v=` of links. */
  hash: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/**
 * Where the files are: next to this module (the image copies them into dist/), else in the
 * source tree (a build with `tsc` alone, which copies no CSS or JS).
 */
export function consoleAssetsDir(): string {
  const candidates = [
    join(__dirname, 'assets'),
    resolve(__dirname, '..', '..', '..', '..', 'src', 'api', 'console', 'assets'),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'console.css')));
  if (found === undefined) throw new Error(`console assets not found in ${candidates.join(' or ')}`);
  return found;
}

/** Every asset by file name; only these names are ever served. */
export function loadConsoleAssets(dir: string = consoleAssetsDir()): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  for (const name of readdirSync(dir).sort()) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { name, contentType, body, hash: createHash('sha256').update(body).digest('hex').slice(0, 16) });
  }
  return assets;
}

let loaded: Map<string, ConsoleAsset> | undefined;

/** The assets of this process (read on first use). */
export function consoleAssets(): Map<string, ConsoleAsset> {
  loaded ??= loadConsoleAssets();
  return loaded;
}

/** `/console/assets/console.css?v=<hash>`; throws for a file that does not exist (a typo in a page). */
export function assetUrl(name: string): string {
  const asset = consoleAssets().get(name);
  if (asset === undefined) throw new Error(`no console asset ${name}`);
  return `/console/assets/${name}?v=${asset.hash}`;
}
