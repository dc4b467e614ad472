# bash completion for krill-runtime (runc-compatible OCI runtime).
# Install: copy to /usr/share/bash-completion/completions/krill-runtime

# Words of the current command line before the subcommand that select the
# state directory, e.g. "--root /run/krill", so that ids come from the right place.
__krill_runtime_root_args() {
  local i
  for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
    case "${COMP_WORDS[i]}" in
      --root) printf '%s\n' --root "${COMP_WORDS[i + 1]}"; return ;;
      --root=*) printf '%s\n' "${COMP_WORDS[i]}"; return ;;
    esac
  done
}

__krill_runtime_container_ids() {
  local program="${1:-krill-runtime}"
  local -a root_args
  mapfile -t root_args < <(__krill_runtime_root_args)
  "$program" "${root_args[@]}" list --quiet 2>/dev/null
}

# __krill_runtime_complete PROGRAM FIRST_WORD_INDEX
# Completes `PROGRAM [global options] COMMAND ...` starting at COMP_WORDS[FIRST_WORD_INDEX].
__krill_runtime_complete() {
  local program="$1" first="$2"
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD - 1]}"

  local global_flags="--root --log --log-format --debug --systemd-cgroup --rootless --criu --help -h --version -v"
  local global_with_value="--root --log --log-format --rootless --criu"
  local commands="create delete events exec features help kill list ls pause ps resume run spec start state update"

  # Find the command word, skipping global flags and their values.
  local i command="" command_index=0
  for ((i = first; i < COMP_CWORD; i++)); do
    local word="${COMP_WORDS[i]}"
    if [[ " $global_with_value " == *" $word "* ]]; then
      ((i++))
      continue
    fi
    if [[ "$word" != -* ]]; then
      command="$word"
      command_index=$i
      break
    fi
  done

  if [[ -z "$command" ]]; then
    case "$prev" in
      --root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
      --log | --criu) COMPREPLY=($(compgen -f -- "$cur")); return ;;
      --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
      --rootless) COMPREPLY=($(compgen -W "auto true false" -- "$cur")); return ;;
    esac
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W "$global_flags" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    fi
    return
  fi

  local flags="" with_value="" create_flags="--bundle -b --console-socket --pid-file --no-pivot --no-new-keyring --preserve-fds"
  case "$command" in
    create) flags="$create_flags"; with_value="--bundle -b --console-socket --pid-file --preserve-fds" ;;
    run) flags="$create_flags --detach -d --keep --no-subreaper"; with_value="--bundle -b --console-socket --pid-file --preserve-fds" ;;
    delete) flags="--force -f" ;;
    kill) flags="--all -a" ;;
    exec)
      flags="--console-socket --cwd --env -e --tty -t --user -u --additional-gids -g --process -p --detach -d --pid-file --process-label --apparmor --no-new-privs --cap -c --preserve-fds --cgroup --ignore-paused"
      with_value="--console-socket --cwd --env -e --user -u --additional-gids -g --process -p --pid-file --process-label --apparmor --cap -c --preserve-fds --cgroup"
      ;;
    list | ls) flags="--format -f --quiet -q"; with_value="--format -f" ;;
    ps) flags="--format -f"; with_value="--format -f" ;;
    events) flags="--stats --interval"; with_value="--interval" ;;
    update)
      flags="--resources -r --blkio-weight --cpu-period --cpu-quota --cpu-share --cpu-rt-period --cpu-rt-runtime --cpuset-cpus --cpuset-mems --memory --memory-reservation --memory-swap --pids-limit --l3-cache-schema --mem-bw-schema"
      with_value="$flags"
      ;;
    spec) flags="--bundle -b --rootless"; with_value="--bundle -b" ;;
    help | h) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
  esac
  flags="$flags --help -h"

  # Values of the command's flags.
  case "$prev" in
    --bundle | -b) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --pid-file | --console-socket | --process | -p | --resources | -r)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --format | -f)
      if [[ "$command" == list || "$command" == ls || "$command" == ps ]]; then
        COMPREPLY=($(compgen -W "table json" -- "$cur")); return
      fi
      ;;
    --cap | -c)
      COMPREPLY=($(compgen -W "CAP_AUDIT_CONTROL CAP_AUDIT_READ CAP_AUDIT_WRITE CAP_BLOCK_SUSPEND CAP_BPF CAP_CHECKPOINT_RESTORE CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_IPC_LOCK CAP_IPC_OWNER CAP_KILL CAP_LEASE CAP_LINUX_IMMUTABLE CAP_MAC_ADMIN CAP_MAC_OVERRIDE CAP_MKNOD CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_RAW CAP_PERFMON CAP_SETFCAP CAP_SETGID CAP_SETPCAP CAP_SETUID CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_CHROOT CAP_SYS_MODULE CAP_SYS_NICE CAP_SYS_PACCT CAP_SYS_PTRACE CAP_SYS_RAWIO CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_SYSLOG CAP_WAKE_ALARM" -- "$cur"))
      return
      ;;
  esac
  if [[ -n "$with_value" && " $with_value " == *" $prev "* ]]; then
    return  # a free-form value
  fi

  # Count the positional words after the command (the id comes first).
  local positionals=0
  for ((i = command_index + 1; i < COMP_CWORD; i++)); do
    local word="${COMP_WORDS[i]}"
    if [[ " $with_value " == *" $word "* ]]; then
      ((i++))
    elif [[ "$word" != -* ]]; then
      ((positionals++))
    fi
  done

  # After the id, exec's and ps's words belong to the program run in the
  # container (or to ps): nothing to offer from the host.
  if [[ ("$command" == exec || "$command" == ps) && $positionals -ge 1 ]]; then
    return
  fi

  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  case "$command" in
    spec | features | list | ls) return ;;
    create | run) return ;;  # a new id
  esac
  if [[ $positionals -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$(__krill_runtime_container_ids "$program")" -- "$cur"))
  elif [[ "$command" == kill && $positionals -eq 1 ]]; then
    COMPREPLY=($(compgen -W "SIGTERM SIGKILL SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGSTOP SIGCONT SIGWINCH SIGRTMIN+3 TERM KILL INT HUP QUIT USR1 USR2 STOP CONT WINCH" -- "$cur"))
  fi
}

_krill_runtime() {
  COMPREPLY=()
  __krill_runtime_complete "${COMP_WORDS[0]}" 1
}

complete -F _krill_runtime krill-runtime
