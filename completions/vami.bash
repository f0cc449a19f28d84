# bash completion for vami (commands and flags; numbers of the pool come from the state database)
# Install: source this file, or copy it to /usr/share/bash-completion/completions/vami.
_vami() {
  local cur prev words cword
  _init_completion || return

  local globals="--db -o --output --json -q --quiet -v --verbose --debug --no-color --progress -y --yes --actor --help --version"
  local group="" command="" i
  for ((i = 1; i < cword; i++)); do
    case "${words[i]}" in
      -*) ;;
      *) if [[ -z $group ]]; then group=${words[i]}; elif [[ -z $command ]]; then command=${words[i]}; fi ;;
    esac
  done

  case "$prev" in
    --db|--state) _filedir; return ;;
    -o|--output) COMPREPLY=($(compgen -W "table json csv" -- "$cur")); return ;;
    --progress) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --type) COMPREPLY=($(compgen -W "local toll-free mobile" -- "$cur")); return ;;
    --status) COMPREPLY=($(compgen -W "purchasing available assigned suspended releasing released" -- "$cur")); return ;;
    --voice-method) COMPREPLY=($(compgen -W "POST GET" -- "$cur")); return ;;
  esac

  local flags=""
  case "$group $command" in
    " ") COMPREPLY=($(compgen -W "init numbers webhooks reconcile sandbox $globals" -- "$cur")); return ;;
    "numbers ") COMPREPLY=($(compgen -W "search buy list show release" -- "$cur")); return ;;
    "webhooks ") COMPREPLY=($(compgen -W "set show" -- "$cur")); return ;;
    "sandbox ") COMPREPLY=($(compgen -W "serve" -- "$cur")); return ;;
    "numbers search") flags="--country --type --area-code --contains --region --locality --limit" ;;
    "numbers buy") flags="--count --country --type --area-code --contains --region --locality --max-monthly-cost --dry-run" ;;
    "numbers list") flags="--status --area-code --region --tenant" ;;
    "numbers release") flags="--dry-run" ;;
    "webhooks set") flags="--voice-url --voice-method --status-callback --allow-http" ;;
    "sandbox serve") flags="--port --latency-ms --state" ;;
    "reconcile "*) flags="--apply" ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags $globals" -- "$cur"))
    return
  fi
  case "$group $command" in
    "numbers show"|"numbers release"|"webhooks set"|"webhooks show")
      # Pool numbers from the state database (quietly; nothing if it cannot be read).
      local numbers
      numbers=$(vami -q numbers list -o csv 2>/dev/null | tail -n +2 | cut -d, -f1)
      COMPREPLY=($(compgen -W "$numbers" -- "$cur"))
      ;;
  esac
}
complete -F _vami vami
