/**
 * Files a starting process writes, read only once they hold something.
 */
import { statSync } from 'node:fs';

/**
 * Whether `path` exists and is not empty. A process writing a file creates it empty first
 * (lnd's `admin.macaroon`, `tls.cert`): a reader that only asks whether it exists can read
 * nothing and keep that.
 */
export function fileWritten(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}
