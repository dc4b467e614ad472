# bash completion for krill. `krill runtime ...` is krill-runtime's command
# line; its completion comes from krill-runtime.bash.
# Install: copy both files to /usr/share/bash-completion/completions/ (krill, krill-runtime)

if ! declare -F __krill_runtime_complete >/dev/null; then
  for __krill_dir in "$(dirname "${BASH_SOURCE[0]}")" /usr/share/bash-completion/completions \
    /usr/local/share/bash-completion/completions; do
    if [[ -r "$__krill_dir/krill-runtime" ]]; then
      . "$__krill_dir/krill-runtime"
      break
    elif [[ -r "$__krill_dir/krill-runtime.bash" ]]; then
      . "$__krill_dir/krill-runtime.bash"
      break
    fi
  done
  unset __krill_dir
fi

_krill() {
  COMPREPLY=()
  local cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "runtime --version -v --help -h" -- "$cur"))
    return
  fi
  if [[ "${COMP_WORDS[1]}" == runtime ]] && declare -F __krill_runtime_complete >/dev/null; then
    # Container ids come from `krill runtime list -q`.
    __krill_runtime_complete_via_krill "${COMP_WORDS[0]}"
  fi
}

# Runs krill-runtime's completion with `krill runtime` as the program.
__krill_runtime_complete_via_krill() {
  local krill="$1"
  __krill_runtime_krill_program() { "$krill" runtime "$@"; }
  __krill_runtime_complete __krill_runtime_krill_program 2
}

complete -F _krill krill
