/**
 * True for names and addresses that only this machine can reach: the dashboard and the API
 * refuse to listen anywhere else without credentials.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return (
    bare === "localhost" ||
    bare === "::1" ||
    /^127(\.\d{1,3}){3}$/.test(bare) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(bare)
  );
}

/**
 * The http URL a person on this machine opens for a server listening at `address` (a wildcard
 * address is shown as its loopback form; IPv6 in brackets): what the dashboard and the API print.
 */
export function listeningUrl(address: { address: string; port: number }): string {
  const shown =
    address.address === "0.0.0.0"
      ? "127.0.0.1"
      : address.address === "::"
        ? "::1"
        : address.address;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${address.port}`;
}
