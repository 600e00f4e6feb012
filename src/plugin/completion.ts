/**
 * Shell completion for the `kubectl-scim` command. Static: commands and flags only, no API calls while typing.
 * (`kubectl scim <TAB>` through kubectl needs a `kubectl_complete-scim` executable, which is not shipped.)
 */
export const COMMANDS = ['whois', 'report', 'plan', 'drill', 'completion', 'help'] as const;

export const COMMON_FLAGS = [
  '--kubeconfig',
  '--context',
  '--operator-namespace',
  '--operator-configmap',
  '--settings',
  '--help',
] as const;

const FLAGS: Record<string, readonly string[]> = {
  whois: ['--connection'],
  report: ['--format', '--connection', '--namespace', '--page-size'],
  plan: ['-f', '--filename'],
  drill: ['--connection'],
  completion: [],
};

export function completionScript(shell: string): string | undefined {
  const cases = Object.entries(FLAGS)
    .map(([cmd, flags]) => `    ${cmd}) flags="${[...flags, ...COMMON_FLAGS].join(' ')}" ;;`)
    .join('\n');
  const body = `_kubectl_scim() {
  local cur prev cmd flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${COMMANDS.join(' ')}" -- "$cur") ); return
  fi
  case "$prev" in
    --format) COMPREPLY=( $(compgen -W "table csv json" -- "$cur") ); return ;;
    -f|--filename|--settings|--kubeconfig) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  [ "$cmd" = completion ] && { COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ); return; }
  case "$cmd" in
${cases}
    *) flags="${COMMON_FLAGS.join(' ')}" ;;
  esac
  COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
}
complete -o default -F _kubectl_scim kubectl-scim
`;
  if (shell === 'bash') return `# kubectl-scim bash completion: source <(kubectl scim completion bash)\n${body}`;
  if (shell === 'zsh')
    return `# kubectl-scim zsh completion: source <(kubectl scim completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${body}`;
  return undefined;
}
