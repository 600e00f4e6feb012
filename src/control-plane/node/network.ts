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
 * The guard rules, in chains of ours: nothing enters the bridge from another interface or leaves it for another
 * interface, and the host sends nothing of the run's range (nor a packet NATed from it) anywhere but the bridge or
 * loopback. They are in place before forwarding is switched on.
 */
export function guardRules(): { chain: string; hook: string; rules: string[][] }[] {
  const [forward, output] = n.guardChains;
  return [
    {
      chain: forward,
      hook: 'FORWARD',
      rules: [
        ['-i', n.bridge, '!', '-o', n.bridge, '-j', 'DROP'],
        ['-o', n.bridge, '!', '-i', n.bridge, '-j', 'DROP'],
      ],
    },
    {
      chain: output,
      hook: 'OUTPUT',
      rules: [
        ['-o', 'lo', '-j', 'RETURN'],
        ['-o', n.bridge, '-j', 'RETURN'],
        ['-s', n.range, '-j', 'DROP'],
        ['-d', n.range, '-j', 'DROP'],
        ['-m', 'conntrack', '--ctstate', 'DNAT', '--ctorigdst', n.range, '-j', 'DROP'],
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
  for (const { chain, hook, rules } of guardRules()) {
    await cmd('iptables', ['-N', chain]);
    for (const rule of rules) await cmd('iptables', ['-A', chain, ...rule]);
    await cmd('iptables', ['-I', hook, '1', '-j', chain]);
  }
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
}

export async function ipForward(): Promise<string> {
  return (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
}
