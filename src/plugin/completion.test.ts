import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { completionScript } from './completion.ts';

function complete(words: string[]): string[] {
  const script = `${completionScript('bash')}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_kubectl_scim; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('completion', () => {
  it('completes commands, then the flags of the command, then the values of --format', () => {
    expect(complete(['kubectl-scim', 'r'])).toEqual(['report']);
    expect(complete(['kubectl-scim', 'report', '--f'])).toEqual(['--format']);
    expect(complete(['kubectl-scim', 'report', '--format', 'c'])).toEqual(['csv']);
    expect(complete(['kubectl-scim', 'completion', ''])).toEqual(['bash', 'zsh']);
  });

  it('offers zsh the same function through bashcompinit, and nothing for an unknown shell', () => {
    expect(completionScript('zsh')).toContain('bashcompinit');
    expect(completionScript('fish')).toBeUndefined();
  });
});
