import os from "node:os";

/**
 * An address of this machine that is not loopback (the first external interface's IPv4, else IPv6): a request to it
 * arrives from that address, so the server sees a client that is not on loopback, whatever its headers say.
 */
export function externalAddress(): string {
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && !a.internal && !a.address.startsWith("fe80:"));
  const chosen = addresses.find((a) => a.family === "IPv4") ?? addresses[0];
  if (!chosen) throw new Error("this machine has no network address besides loopback: the test needs one to connect from");
  return chosen.family === "IPv6" ? `[${chosen.address}]` : chosen.address;
}
