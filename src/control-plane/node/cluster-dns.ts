import dgram from 'node:dgram';
import type { KubeConfig } from '@kubernetes/client-node';
import { getRaw } from '../kube-http.ts';

/**
 * The node's cluster DNS: answers A queries for `<service>.<namespace>.svc.cluster.local` with the Service's cluster
 * IP, read from the API server. It never recurses: any other name is NXDOMAIN, so no pod query leaves the machine.
 */
export interface ClusterDns {
  stop(): Promise<void>;
}

const suffix = '.svc.cluster.local';

/** Reads the question of a DNS message: name, type, and the offset just past it. */
export function parseQuestion(msg: Buffer): { name: string; type: number; end: number } | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i] ?? 0;
    if (len > 63 || i + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
  if (i + 5 > msg.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(i + 1), end: i + 5 };
}

/** A reply to `query`: rcode 0 with the A record when `ip` is given (and the question is A), else NXDOMAIN (3). */
export function reply(query: Buffer, end: number, rcode: 0 | 3, ip?: string): Buffer {
  const header = Buffer.from(query.subarray(0, end));
  const flags = 0x8000 | (query.readUInt16BE(2) & 0x0100) | 0x0400 | rcode; // response, RD copied, authoritative
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(ip ? 1 : 0, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(0, 10);
  if (!ip) return header;
  const answer = Buffer.alloc(16);
  answer.writeUInt16BE(0xc00c, 0); // the name of the question
  answer.writeUInt16BE(1, 2); // A
  answer.writeUInt16BE(1, 4); // IN
  answer.writeUInt32BE(5, 6); // TTL
  answer.writeUInt16BE(4, 10);
  ip.split('.').forEach((octet, k) => {
    answer[12 + k] = Number(octet);
  });
  return Buffer.concat([header, answer]);
}

export async function startClusterDns(kc: KubeConfig, address: string): Promise<ClusterDns> {
  const socket = dgram.createSocket('udp4');
  const clusterIp = async (name: string): Promise<string | undefined> => {
    if (!name.endsWith(suffix)) return undefined;
    const parts = name.slice(0, -suffix.length).split('.');
    if (parts.length !== 2) return undefined;
    const res = await getRaw(kc, `/api/v1/namespaces/${parts[1]}/services/${parts[0]}`);
    if (res.status !== 200) return undefined;
    const ip = (JSON.parse(res.body) as { spec?: { clusterIP?: string } }).spec?.clusterIP;
    return ip && ip !== 'None' ? ip : undefined;
  };
  socket.on('message', (msg, peer) => {
    const q = parseQuestion(msg);
    if (!q) return;
    void clusterIp(q.name)
      .catch(() => undefined)
      .then((ip) => {
        // An existing name asked for another type (AAAA) gets an empty answer, not NXDOMAIN.
        const out = ip ? reply(msg, q.end, 0, q.type === 1 ? ip : undefined) : reply(msg, q.end, 3);
        socket.send(out, peer.port, peer.address);
      });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(53, address, () => resolve());
  });
  return {
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
