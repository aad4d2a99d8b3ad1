/**
 * Bundles the browser app with esbuild, in memory: nothing is built on install or committed, the
 * server asks for the files once and keeps them. `app/main.ts` (and what it imports: the SDK's
 * signed client, Chart.js) becomes `app.js`; `index.html` and `style.css` are served as written.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** One file of the dashboard. */
export interface DashboardAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong ETag of the body. */
  readonly etag: string;
}

/** The dashboard's files by name: `index.html`, `app.js`, `app.css`. */
export type DashboardAssets = ReadonlyMap<string, DashboardAsset>;

const appDir = fileURLToPath(new URL('./app/', import.meta.url));

function asset(body: Buffer, contentType: string): DashboardAsset {
  return {
    body,
    contentType,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/** Bundles the app (about a second); throws with esbuild's messages when it cannot. */
export async function buildDashboard(): Promise<DashboardAssets> {
  const [bundle, html, css] = await Promise.all([
    build({
      entryPoints: [`${appDir}main.ts`],
      tsconfig: `${appDir}tsconfig.json`,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      outfile: 'app.js',
      logLevel: 'silent',
    }),
    readFile(`${appDir}index.html`),
    readFile(`${appDir}style.css`),
  ]);
  const js = bundle.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!js) throw new Error('esbuild produced no app.js');
  return new Map([
    ['index.html', asset(html, 'text/html; charset=utf-8')],
    ['app.js', asset(Buffer.from(js.contents), 'text/javascript; charset=utf-8')],
    ['app.css', asset(css, 'text/css; charset=utf-8')],
  ]);
}
