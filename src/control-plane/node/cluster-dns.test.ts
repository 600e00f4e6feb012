import { describe, expect, it } from 'vitest';
import { parseQuestion, reply } from './cluster-dns.ts';

function query(name: string, type: number): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([header, ...labels, tail]);
}

describe('the cluster DNS wire format', () => {
  it('reads the question name and type', () => {
    const q = parseQuestion(query('r-scim-operator.ops.svc.cluster.local', 1));
    expect(q).toMatchObject({ name: 'r-scim-operator.ops.svc.cluster.local', type: 1 });
  });

  it('answers an A record for a Service, with the query id and the question echoed', () => {
    const msg = query('r.ops.svc.cluster.local', 1);
    const q = parseQuestion(msg)!;
    const out = reply(msg, q.end, 0, '10.213.1.7');
    expect(out.readUInt16BE(0)).toBe(0x1234);
    expect(out.readUInt16BE(2) & 0x800f).toBe(0x8000);
    expect(out.readUInt16BE(6)).toBe(1);
    expect([...out.subarray(-4)]).toEqual([10, 213, 1, 7]);
  });

  it('answers NXDOMAIN with no record for any other name', () => {
    const msg = query('registry.npmjs.org', 1);
    const out = reply(msg, parseQuestion(msg)!.end, 3);
    expect(out.readUInt16BE(2) & 0x000f).toBe(3);
    expect(out.readUInt16BE(6)).toBe(0);
  });
});
