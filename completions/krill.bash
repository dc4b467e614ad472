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

__krill_commands="build from mount umount unmount copy config run create start stop restart kill rm ps logs inspect wait attach exec pause unpause rename top cp diff commit stats port container volume network healthcheck login logout pull push images rmi tag history save load import export image registry system runtime unshare help"
__krill_global_flags="--root --runroot --log-level --storage-driver --registries-conf --max-layer-size --version -v --help -h"
__krill_image_commands="build pull push ls list rm tag untag inspect history save load import copy list-tags delete sync prune"
__krill_container_commands="run create start stop restart kill rm remove ls list ps logs inspect wait attach exec pause unpause rename top prune cp diff commit stats port export"
__krill_volume_commands="create ls list inspect rm remove prune"
__krill_network_commands="create ls list inspect rm remove prune connect disconnect"
__krill_transports="docker:// oci: oci-archive: docker-archive: dir: containers-storage:"

# Flags per command ("image copy" etc. use their full name).
__krill_command_flags() {
  case "$1" in
    login) echo "--username -u --password -p --password-stdin --get-login --authfile --tls-verify --cert-dir" ;;
    logout) echo "--all -a --authfile" ;;
    from) echo "--name --pull --quiet -q --tls-verify --creds --authfile" ;;
    copy) echo "--chown --chmod" ;;
    config) echo "--cmd --entrypoint --env -e --label -l --workingdir --user -u" ;;
    build | "image build") echo "--file -f --tag -t --build-arg --target --no-cache --pull --label --iidfile --format --secret --network --squash --layers --timestamp --platform --progress --quiet -q --isolation --runtime --tls-verify --cert-dir --creds --authfile" ;;
    pull | "image pull") echo "--quiet -q --all-tags -a --platform --os --arch --variant --tls-verify --cert-dir --creds --authfile" ;;
    push | "image push") echo "--quiet -q --format -f --tls-verify --cert-dir --creds --authfile" ;;
    images | "image ls" | "image list") echo "--format --quiet -q --no-trunc --all -a --digests --noheading -n --filter -f" ;;
    rmi | "image rm") echo "--force -f --all -a --ignore -i" ;;
    history | "image history") echo "--format --quiet -q --no-trunc --human -H" ;;
    save | "image save") echo "--output -o --format --multi-image-archive -m --quiet -q" ;;
    load | "image load") echo "--input -i --quiet -q" ;;
    import | "image import") echo "--change -c --message -m --os --arch --variant --quiet -q" ;;
    export) echo "--output -o" ;;
    "image inspect") echo "--format -f --raw --config --tls-verify --cert-dir --creds --authfile" ;;
    "image copy") echo "--all -a --format -f --preserve-digests --quiet -q --platform --authfile --src-tls-verify --src-cert-dir --src-creds --src-authfile --dest-tls-verify --dest-cert-dir --dest-creds --dest-authfile" ;;
    "image list-tags" | "image delete" | "registry catalog") echo "--tls-verify --cert-dir --creds --authfile --format" ;;
    "registry layer") echo "--tls-verify --cert-dir --creds --authfile -o --output" ;;
    "image sync") echo "--src -s --dest -d --all -a --scoped --dry-run --format -f --quiet -q --src-tls-verify --src-creds --dest-tls-verify --dest-creds" ;;
    "image prune") echo "--all -a --force -f" ;;
    "system prune") echo "--all -a --force -f --volumes" ;;
    "system df") echo "--format --verbose -v" ;;
    "system check") echo "--repair -r --quick -q" ;;
    run | create | "container run" | "container create") echo "--detach -d --interactive -i --tty -t --rm --name --env -e --env-file --workdir -w --user -u --entrypoint --volume -v --mount --tmpfs --read-only --hostname -h --add-host --dns --dns-search --dns-option --cap-add --cap-drop --privileged --security-opt --memory -m --memory-swap --cpus --cpu-shares -c --cpuset-cpus --pids-limit --shm-size --ulimit --device --init --init-path --restart --label -l --label-file --annotation --stop-signal --stop-timeout --log-driver --log-opt --health-cmd --health-interval --health-timeout --health-start-period --health-retries --health-on-failure --health-startup-cmd --health-startup-interval --health-startup-timeout --health-startup-retries --health-startup-success --no-healthcheck --userns --group-add --pull --network --net --network-alias --ip --ip6 --mac-address --publish -p --publish-all -P --runtime --attach -a --sig-proxy --detach-keys --quiet -q --platform --tls-verify --authfile --creds --cert-dir" ;;
    start | "container start") echo "--attach -a --interactive -i --detach-keys --sig-proxy" ;;
    stop | "container stop") echo "--time -t --all -a --ignore -i" ;;
    restart | "container restart") echo "--time -t --all -a" ;;
    kill | "container kill") echo "--signal -s --all -a" ;;
    rm | "container rm" | "container remove") echo "--force -f --time -t --volumes -v --all -a --ignore -i" ;;
    ps | "container ls" | "container list" | "container ps") echo "--all -a --quiet -q --no-trunc --latest -l --last -n --size -s --filter -f --format --noheading --external" ;;
    logs | "container logs") echo "--follow -f --since --until --tail -n --timestamps -t --details" ;;
    inspect) echo "--format -f --size -s --type -t" ;;
    "container inspect") echo "--format -f --size -s" ;;
    wait | "container wait") echo "--condition --interval -i" ;;
    attach | "container attach") echo "--no-stdin --detach-keys --sig-proxy" ;;
    exec | "container exec") echo "--detach -d --interactive -i --tty -t --env -e --env-file --user -u --workdir -w --privileged --detach-keys" ;;
    pause | unpause | "container pause" | "container unpause") echo "--all -a" ;;
    cp | "container cp") echo "--archive -a --follow-link -L --overwrite" ;;
    diff | "container diff") echo "--format" ;;
    commit | "container commit") echo "--message -m --author -a --change -c --pause -p --quiet -q" ;;
    stats | "container stats") echo "--no-stream --all -a --no-trunc --no-reset --interval -i --format" ;;
    "container prune") echo "--force -f --filter" ;;
    "volume create") echo "--driver -d --label -l --opt -o --ignore" ;;
    "network create") echo "--driver -d --subnet --gateway --ip-range --internal --ipv6 --label -l --opt -o --interface-name --ignore" ;;
    "network ls" | "network list") echo "--filter -f --format --quiet -q --noheading -n --no-trunc" ;;
    "network inspect") echo "--format -f" ;;
    "network rm" | "network remove") echo "--force -f" ;;
    "network prune") echo "--filter --force -f" ;;
    "network connect") echo "--alias --ip --ip6 --mac-address" ;;
    "network disconnect") echo "--force -f" ;;
    "volume ls" | "volume list") echo "--filter -f --format --quiet -q --noheading -n" ;;
    "volume inspect") echo "--format -f --all -a" ;;
    "volume rm" | "volume remove") echo "--force -f --all -a" ;;
    "volume prune") echo "--filter --force -f" ;;
  esac
}

# Local image names from `krill images`.
__krill_local_images() {
  "$1" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>'
}

# Container names from `krill ps -a`.
__krill_networks() {
  "$1" network ls -q 2>/dev/null
}

__krill_containers() {
  "$1" ps -a --format '{{.Names}}' 2>/dev/null
}

_krill() {
  COMPREPLY=()
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local prev="${COMP_WORDS[COMP_CWORD - 1]}"
  local krill="${COMP_WORDS[0]}"

  # Find the command word, skipping global flags (and their values).
  local i=1 command=""
  while [[ $i -lt $COMP_CWORD ]]; do
    case "${COMP_WORDS[i]}" in
      --root | --runroot | --log-level | --storage-driver | --registries-conf | --max-layer-size) i=$((i + 2)) ;;
      -*) i=$((i + 1)) ;;
      *) command="${COMP_WORDS[i]}"; break ;;
    esac
  done

  if [[ -z "$command" ]]; then
    case "$prev" in
      --log-level) COMPREPLY=($(compgen -W "error warn info debug" -- "$cur")); return ;;
      --storage-driver) COMPREPLY=($(compgen -W "overlay vfs" -- "$cur")); return ;;
      --root | --runroot | --registries-conf) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    COMPREPLY=($(compgen -W "$__krill_commands $__krill_global_flags" -- "$cur"))
    return
  fi

  if [[ "$command" == runtime ]]; then
    if declare -F __krill_runtime_complete >/dev/null; then
      # Container ids come from `krill runtime list -q`.
      __krill_runtime_complete_via_krill "$krill" "$i"
    fi
    return
  fi

  local full="$command"
  case "$command" in
    image | registry | system | container | volume | network | healthcheck)
      if [[ $((i + 1)) -eq $COMP_CWORD ]]; then
        case "$command" in
          image) COMPREPLY=($(compgen -W "$__krill_image_commands" -- "$cur")) ;;
          container) COMPREPLY=($(compgen -W "$__krill_container_commands" -- "$cur")) ;;
          volume) COMPREPLY=($(compgen -W "$__krill_volume_commands" -- "$cur")) ;;
          network) COMPREPLY=($(compgen -W "$__krill_network_commands" -- "$cur")) ;;
          registry) COMPREPLY=($(compgen -W "catalog layer" -- "$cur")) ;;
          system) COMPREPLY=($(compgen -W "df prune check migrate" -- "$cur")) ;;
          healthcheck) COMPREPLY=($(compgen -W "run" -- "$cur")) ;;
        esac
        return
      fi
      full="$command ${COMP_WORDS[i + 1]}"
      ;;
  esac

  case "$prev" in
    -o | --output | -i | --input | --authfile | --cert-dir | --src-authfile | --dest-authfile | --src-cert-dir | --dest-cert-dir)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --format)
      case "$full" in
        save | "image save") COMPREPLY=($(compgen -W "docker-archive oci-archive oci-dir docker-dir" -- "$cur")) ;;
        push | "image push" | "image copy" | "image sync") COMPREPLY=($(compgen -W "oci v2s2" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "json table" -- "$cur")) ;;
      esac
      return ;;
    -f)
      case "$full" in
        push | "image push" | "image copy" | "image sync") COMPREPLY=($(compgen -W "oci v2s2" -- "$cur")); return ;;
      esac ;;
    --condition) COMPREPLY=($(compgen -W "stopped exited created configured running paused stopping removing not-running next-exit removed" -- "$cur")); return ;;
    --init-path) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --src | -s | --dest | -d) COMPREPLY=($(compgen -W "docker dir" -- "$cur")); return ;;
    --network | --net) COMPREPLY=($(compgen -W "$(__krill_networks "$krill") bridge none host container: ns:" -- "$cur")); return ;;
    --platform) COMPREPLY=($(compgen -W "linux/amd64 linux/arm64 linux/arm/v7 linux/386 linux/ppc64le linux/s390x linux/riscv64" -- "$cur")); return ;;
  esac

  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(__krill_command_flags "$full") --help -h" -- "$cur"))
    return
  fi
  case "$full" in
    rmi | tag | history | push | save | export | "image rm" | "image tag" | "image untag" | "image history" | "image push" | "image save" | "image inspect")
      COMPREPLY=($(compgen -W "$(__krill_local_images "$krill")" -- "$cur")) ;;
    "image copy" | "image list-tags" | "image delete")
      COMPREPLY=($(compgen -W "$__krill_transports" -- "$cur"))
      compopt -o nospace 2>/dev/null ;;
    import | "image import") COMPREPLY=($(compgen -f -- "$cur")) ;;
    "network inspect" | "network rm" | "network remove" | "network connect" | "network disconnect")
      COMPREPLY=($(compgen -W "$(__krill_networks "$krill")" -- "$cur")) ;;
    run | create | "container run" | "container create")
      COMPREPLY=($(compgen -W "$(__krill_local_images "$krill")" -- "$cur")) ;;
    start | stop | restart | kill | rm | logs | inspect | wait | attach | exec | pause | unpause | rename | top | diff | commit | stats | port | export | "container "* | "healthcheck run")
      COMPREPLY=($(compgen -W "$(__krill_containers "$krill")" -- "$cur")) ;;
  esac
}

# Runs krill-runtime's completion with `krill [global flags] runtime` as the program; `$2` is
# the index of the word "runtime".
__krill_runtime_complete_via_krill() {
  local krill="$1" at="${2:-1}"
  __krill_runtime_krill_program() { "$krill" runtime "$@"; }
  __krill_runtime_complete __krill_runtime_krill_program $((at + 1))
}

complete -F _krill krill
