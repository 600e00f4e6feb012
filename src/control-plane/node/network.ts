import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { nodeNetwork as n, rangeInUse } from './addresses.ts';

const run = promisify(execFile);

export async function cmd(file: string, args: string[]): Promise<string> {
  return (await run(file, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
}

export async function assertRangeUnused(): Promise<void> {
  const seen = (await cmd('ip', ['-4', '-o', 'addr'])) + (await cmd('ip', ['-4', 'route']));
  if (rangeInUse(seen)) {
    throw new Error(
      `the local node's range ${n.range} is already in use on this machine (another node still running, or a leftover; run scripts/local-node-teardown.sh on its state file)`,
    );
  }
}

/**
 * The guard rules, in chains of ours in the `mangle` table, which the kernel runs before `filter` (where kube-proxy's
 * KUBE-FORWARD accepts marked and established packets) and `nat` (where KUBE-POSTROUTING masquerades): nothing
 * enters or leaves the bridge by another interface, and no packet from, to, or NATed from or to the run's range
 * leaves by any interface but the bridge or loopback. They are in place before forwarding is switched on.
 */
export function guardRules(): { table: string; chain: string; hook: string; rules: string[][] }[] {
  const [forward, postrouting] = n.guardChains;
  return [
    {
      table: 'mangle',
      chain: forward,
      hook: 'FORWARD',
      rules: [
        ['-i', n.bridge, '!', '-o', n.bridge, '-j', 'DROP'],
        ['-o', n.bridge, '!', '-i', n.bridge, '-j', 'DROP'],
      ],
    },
    {
      table: 'mangle',
      chain: postrouting,
      hook: 'POSTROUTING',
      rules: [
        ['-o', 'lo', '-j', 'RETURN'],
        ['-o', n.bridge, '-j', 'RETURN'],
        ['-s', n.range, '-j', 'DROP'],
        ['-d', n.range, '-j', 'DROP'],
        ['-m', 'conntrack', '--ctorigsrc', n.range, '-j', 'DROP'],
        ['-m', 'conntrack', '--ctorigdst', n.range, '-j', 'DROP'],
      ],
    },
  ];
}

/** Creates the bridge with its address, the guard chains, a route of the service range to the bridge; forwarding on. */
export async function setUpNetwork(): Promise<void> {
  await cmd('ip', ['link', 'add', n.bridge, 'type', 'bridge']);
  await cmd('ip', ['addr', 'add', `${n.address}/24`, 'dev', n.bridge]);
  await cmd('ip', ['link', 'set', n.bridge, 'up']);
  // Service addresses without endpoints (or before kube-proxy syncs) must not follow the default route out.
  await cmd('ip', ['route', 'add', n.serviceCidr, 'dev', n.bridge, 'src', n.address]);
  for (const { table, chain, hook, rules } of guardRules()) {
    await cmd('iptables', ['-t', table, '-N', chain]);
    for (const rule of rules) await cmd('iptables', ['-t', table, '-A', chain, ...rule]);
    await cmd('iptables', ['-t', table, '-I', hook, '1', '-j', chain]);
  }
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
}

export async function ipForward(): Promise<string> {
  return (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
}
