import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * The SSRF guard of webhooks out: an endpoint's host is resolved once per try, and the try is
 * refused when any of its addresses is private, loopback, link-local, unspecified, multicast or
 * otherwise not a public unicast address, unless VEOQ_WEBHOOK_ALLOW_PRIVATE=1. The request then
 * goes to the address that was checked (never resolved a second time), so a DNS answer that
 * changes between the check and the connection (rebinding) cannot redirect it.
 */

const NOT_PUBLIC = new BlockList();
for (const [network, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, bits, "ipv4");
}
for (const [network, bits] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, bits, "ipv6");
}

/** Why an endpoint's address was refused. */
export class AddressRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AddressRefusedError";
  }
}

/** Whether an IP address (v4 or v6, v4-mapped v6 included) is not a public unicast address. */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return isNonPublicAddress(mapped[1]);
  const family = isIP(address);
  if (family === 0) return true;
  return NOT_PUBLIC.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** A checked address to connect to. */
export interface ResolvedEndpoint {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves an endpoint's host and checks every address it has; returns the first. Throws
 * AddressRefusedError for a non-public address (unless allowed) or a host that does not resolve.
 */
export async function resolveEndpointAddress(
  hostname: string,
  allowPrivate: boolean,
  resolve: (host: string) => Promise<{ address: string; family: number }[]> = (host) =>
    lookup(host, { all: true, verbatim: true }),
): Promise<ResolvedEndpoint> {
  const bare = hostname.replace(/^\[|\]$/g, "");
  let addresses: { address: string; family: number }[];
  if (isIP(bare) !== 0) {
    addresses = [{ address: bare, family: isIP(bare) }];
  } else {
    try {
      addresses = await resolve(bare);
    } catch (error) {
      throw new AddressRefusedError(
        `cannot resolve ${bare}: ${(error as NodeJS.ErrnoException).code ?? "lookup failed"}`,
      );
    }
  }
  const first = addresses[0];
  if (first === undefined) throw new AddressRefusedError(`${bare} has no address`);
  if (!allowPrivate) {
    const refused = addresses.find((a) => isNonPublicAddress(a.address));
    if (refused !== undefined) {
      throw new AddressRefusedError(
        `${bare} resolves to ${refused.address}, a private, loopback or link-local address (VEOQ_WEBHOOK_ALLOW_PRIVATE=1 allows it)`,
      );
    }
  }
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
