/**
 * The `lndconnect://` URI wallets (Zeus, Alby, ...) read: gRPC host and port, the TLS
 * certificate as base64url DER and the macaroon as base64url.
 */

/** `lndconnect://host:port?cert=…&macaroon=…`. */
export function lndconnectUri(grpcHost: string, tlsCertPem: string, macaroonHex: string): string {
  const der = tlsCertPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const cert = Buffer.from(der, 'base64').toString('base64url');
  const macaroon = Buffer.from(macaroonHex, 'hex').toString('base64url');
  return `lndconnect://${grpcHost}?cert=${cert}&macaroon=${macaroon}`;
}
