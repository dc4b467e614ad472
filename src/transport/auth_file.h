// Registry credentials in containers-auth.json(5) files, as podman/skopeo keep them, and in
// Docker's ~/.docker/config.json: {"auths":{"host":{"auth":"base64(user:pass)"}}}.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::transport {

struct Credentials {
  std::string username, password;
  std::string identity_token;  // OAuth2 refresh token ("identitytoken" in the files)
};

// The files read, in order: $REGISTRY_AUTH_FILE if set, else
// ${XDG_RUNTIME_DIR}/containers/auth.json and $HOME/.config/containers/auth.json; then
// $DOCKER_CONFIG/config.json or $HOME/.docker/config.json. Missing files are skipped when reading.
std::vector<std::string> default_auth_files();

// Where `krill login` writes: $REGISTRY_AUTH_FILE, else ${XDG_RUNTIME_DIR}/containers/auth.json,
// else $HOME/.config/containers/auth.json.
std::string default_auth_file_for_writing();

// The first entry for `registry_host` ("localhost:5000", "docker.io", "quay.io"). Keys are
// matched as containers/image does: "https://host/v1/" and "http://host" match "host", and the
// Docker Hub aliases (index.docker.io, registry-1.docker.io) match docker.io. Credential
// helpers (credHelpers/credsStore) are not supported and are skipped.
// Error names the file: "read credentials from /x/auth.json: invalid JSON ...".
Result<std::optional<Credentials>> lookup_credentials(
    const std::string& registry_host,
    const std::vector<std::string>& auth_files = default_auth_files());

// Adds or replaces the entry for `registry_host`, keeping the rest of the file; creates the
// file (0600) and its directory (0700); the write is atomic.
Result<void> store_credentials(const std::string& path, const std::string& registry_host,
                               const Credentials& credentials);

// Removes the entry for `registry_host`; returns false when there was none.
Result<bool> remove_credentials(const std::string& path, const std::string& registry_host);

std::string base64_encode(std::string_view data);
// Accepts padded and unpadded input; ignores whitespace. Error on other characters.
Result<std::string> base64_decode(std::string_view text);

// "docker.io" for Docker Hub's aliases, otherwise the host itself.
std::string normalize_registry_host(std::string_view host);

}  // namespace krill::transport
