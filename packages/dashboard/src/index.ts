/**
 * The dashboard the server serves at `/dashboard`: {@link buildDashboard} bundles the browser
 * app (under `app/`) into the files to serve.
 */
export { buildDashboard, type DashboardAsset, type DashboardAssets } from './build.ts';
