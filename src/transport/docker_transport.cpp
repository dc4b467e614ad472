#include "transport/docker_transport.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "image/media_types.h"
#include "image/reference.h"
#include "image/registries_conf.h"
#include "transport/auth_file.h"
#include "transport/insecure_registry.h"
#include "transport/registry_client.h"

namespace krill::transport {
namespace {

namespace mt = image::media_types;

const std::vector<std::string>& manifest_accept_types() {
  static const std::vector<std::string> types = {
      std::string(mt::kOciManifest), std::string(mt::kOciIndex), std::string(mt::kDockerManifest),
      std::string(mt::kDockerManifestList)};
  return types;
}

Result<image::RegistriesConf> load_conf(const TransportOptions& options) {
  std::vector<std::string> paths;
  if (!options.registries_conf.empty()) {
    paths.push_back(options.registries_conf);
  } else {
    const char* home = std::getenv("HOME");
    const char* env = std::getenv("CONTAINERS_REGISTRIES_CONF");
    paths = image::default_registries_conf_paths(home ? home : "", env ? env : "");
  }
  return image::load_registries_conf(paths);
}

ClientOptions base_client_options(const TransportOptions& options) {
  ClientOptions o;
  o.tls_verify = options.tls_verify;
  o.cert_dir = options.cert_dir;
  o.rootless = options.rootless;
  if (!options.creds.empty()) {
    Credentials c;
    auto colon = options.creds.find(':');
    c.username = options.creds.substr(0, colon);
    if (colon != std::string::npos) c.password = options.creds.substr(colon + 1);
    o.credentials = std::move(c);
  } else if (!options.auth_file.empty()) {
    o.auth_files = std::vector<std::string>{options.auth_file};
  }
  if (options.stall_timeout_seconds) o.stall_timeout_seconds = *options.stall_timeout_seconds;
  return o;
}

// Clients for one registry host, one per thread at a time (RegistryClient is not thread-safe);
// they share one RegistryAuthCache, so parallel blob transfers reuse one token per scope.
class ClientPool {
 public:
  ClientPool(std::string host, ClientOptions options, RegistryClient first)
      : host_(std::move(host)), options_(std::move(options)) {
    idle_.push_back(std::make_unique<RegistryClient>(std::move(first)));
  }

  class Lease {
   public:
    Lease(ClientPool* pool, std::unique_ptr<RegistryClient> client)
        : pool_(pool), client_(std::move(client)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (client_) pool_->release(std::move(client_));
    }
    RegistryClient* operator->() { return client_.get(); }

   private:
    ClientPool* pool_;
    std::unique_ptr<RegistryClient> client_;
  };

  Result<Lease> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(c));
      }
    }
    auto c = KRILL_TRY(RegistryClient::create(host_, options_));
    return Lease(this, std::make_unique<RegistryClient>(std::move(c)));
  }

 private:
  void release(std::unique_ptr<RegistryClient> c) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
  }

  std::string host_;
  ClientOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<RegistryClient>> idle_;
};

// A pool for `host`; an insecure registry (registries.conf or --tls-verify=false) is probed for
// the protocol it speaks.
Result<std::unique_ptr<ClientPool>> connect(const std::string& host, bool insecure,
                                            const TransportOptions& options) {
  ClientOptions o = base_client_options(options);
  if (insecure) o = KRILL_TRY(resolve_insecure_protocol(host, std::move(o)));
  o.auth_cache = std::make_shared<RegistryAuthCache>();
  auto c = KRILL_TRY(RegistryClient::create(host, o));
  return std::make_unique<ClientPool>(host, o, std::move(c));
}

Result<std::string> strip_slashes(std::string_view rest) {
  if (!rest.starts_with("//"))
    return fail("invalid docker reference \"docker:" + std::string(rest) +
                "\": expected docker://NAME");
  rest.remove_prefix(2);
  if (rest.empty()) return fail("invalid docker reference \"docker://\": no image name");
  return std::string(rest);
}

std::string tag_or_digest(const image::Reference& ref) {
  return ref.has_digest() ? ref.digest : ref.tag;
}

Result<image::Digest> digest_of_fetched(const RegistryClient::Fetched& f) {
  if (!f.digest.empty()) return image::Digest::parse(f.digest);
  return image::sha256_of(f.body);
}

Result<std::string> manifest_type_of(const RegistryClient::Fetched& f) {
  std::string type(image::strip_media_type_parameters(f.media_type));
  if (mt::is_manifest(type) || mt::is_index(type) || mt::is_docker_schema1(type)) return type;
  return image::detect_media_type(f.body);
}

Result<RawManifest> to_raw(const RegistryClient::Fetched& f) {
  RawManifest raw;
  raw.media_type = KRILL_TRY(manifest_type_of(f));
  raw.digest = KRILL_TRY(digest_of_fetched(f));
  raw.bytes = f.body;
  return raw;
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write blob to pipe");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

class DockerSource final : public ImageSource {
 public:
  DockerSource(std::string name, std::string repository, image::Reference ref,
               std::unique_ptr<ClientPool> pool, RawManifest top)
      : name_(std::move(name)),
        repository_(std::move(repository)),
        ref_(std::move(ref)),
        pool_(std::move(pool)),
        top_(std::move(top)) {}

  std::string name() const override { return name_; }

  std::vector<std::string> blob_locations() const override {
    return {ref_.domain + "/" + repository_};
  }

  Result<RawManifest> manifest(const std::optional<image::Digest>& instance) override {
    if (!instance) return top_;
    auto lease = KRILL_TRY(pool_->acquire());
    auto f = lease->get_manifest(repository_, instance->str(), manifest_accept_types());
    if (!f) return std::unexpected(std::move(f.error()).context(name_));
    auto raw = KRILL_TRY(to_raw(*f));
    raw.digest = *instance;  // verified by get_manifest
    return raw;
  }

  Result<uint64_t> read_blob(const image::Descriptor& blob, int out_fd) override {
    auto lease = KRILL_TRY(pool_->acquire());
    std::optional<uint64_t> size;
    if (blob.size > 0) size = static_cast<uint64_t>(blob.size);
    auto n = lease->get_blob(
        repository_, blob.digest.str(),
        [out_fd](std::string_view chunk) -> Result<void> { return write_all(out_fd, chunk); },
        size);
    if (!n) return std::unexpected(std::move(n.error()).context(name_));
    return *n;
  }

 private:
  std::string name_;
  std::string repository_;
  image::Reference ref_;
  std::unique_ptr<ClientPool> pool_;
  RawManifest top_;
};

class DockerDestination final : public ImageDestination {
 public:
  DockerDestination(std::string name, std::string repository, image::Reference ref,
                    std::unique_ptr<ClientPool> pool)
      : name_(std::move(name)),
        repository_(std::move(repository)),
        ref_(std::move(ref)),
        pool_(std::move(pool)) {}

  std::string name() const override { return name_; }

  std::vector<std::string> supported_manifest_types() const override {
    return {std::string(mt::kOciManifest), std::string(mt::kDockerManifest),
            std::string(mt::kOciIndex), std::string(mt::kDockerManifestList)};
  }

  Result<bool> has_blob(const image::Descriptor& blob) override {
    auto lease = KRILL_TRY(pool_->acquire());
    auto r = lease->blob_exists(repository_, blob.digest.str());
    if (!r) return std::unexpected(std::move(r.error()).context(name_));
    return *r;
  }

  // Cross-repository mount from a repository of the same registry (distribution-spec's
  // `?mount=&from=`); the first that the registry accepts wins.
  Result<bool> reuse_blob(const image::Descriptor& blob,
                          const std::vector<std::string>& locations) override {
    const std::string host = ref_.domain + "/";
    for (const auto& location : locations) {
      if (!location.starts_with(host) || location.size() == host.size()) continue;
      const std::string from = location.substr(host.size());
      if (from == repository_) continue;
      auto lease = pool_->acquire();
      if (!lease) return std::unexpected(std::move(lease.error()).context(name_));
      auto mounted = (*lease)->mount_blob(repository_, blob.digest.str(), from);
      if (mounted && *mounted) return true;  // refusals and errors: try the next, then upload
    }
    return false;
  }

  Result<void> write_blob(const image::Descriptor& blob, int in_fd) override {
    if (blob.size < 0) return fail(name_ + ": blob " + blob.digest.str() + " has no size");
    auto lease = KRILL_TRY(pool_->acquire());
    auto reader = [in_fd](std::span<char> out) -> Result<size_t> {
      for (;;) {
        ssize_t n = ::read(in_fd, out.data(), out.size());
        if (n >= 0) return static_cast<size_t>(n);
        if (errno != EINTR) return fail_errno("read blob from pipe");
      }
    };
    auto r =
        lease->put_blob(repository_, blob.digest.str(), static_cast<uint64_t>(blob.size), reader);
    if (!r) return std::unexpected(std::move(r.error()).context(name_));
    // Anything beyond the declared size is an error: the source sent more than described.
    char extra;
    ssize_t n;
    do n = ::read(in_fd, &extra, 1);
    while (n < 0 && errno == EINTR);
    if (n > 0)
      return fail(name_ + ": blob " + blob.digest.str() + " is longer than its size " +
                  std::to_string(blob.size));
    return {};
  }

  Result<void> put_manifest(const RawManifest& manifest, bool is_instance) override {
    std::string reference;
    if (is_instance) {
      reference = manifest.digest.str();
    } else if (ref_.has_digest()) {
      if (manifest.digest.str() != ref_.digest)
        return fail(name_ + ": manifest digest " + manifest.digest.str() +
                    " does not match the digest in the reference");
      reference = ref_.digest;
    } else {
      reference = ref_.tag;
    }
    auto lease = KRILL_TRY(pool_->acquire());
    auto r = lease->put_manifest(repository_, reference, manifest.media_type, manifest.bytes);
    if (!r) return std::unexpected(std::move(r.error()).context(name_));
    return {};
  }

  Result<void> commit() override { return {}; }

 private:
  std::string name_;
  std::string repository_;
  image::Reference ref_;
  std::unique_ptr<ClientPool> pool_;
};

}  // namespace

Result<std::unique_ptr<ImageSource>> open_docker_source(std::string_view rest,
                                                        const TransportOptions& options) {
  auto text = KRILL_TRY(strip_slashes(rest));
  const std::string typed = "docker://" + text;
  auto conf = load_conf(options);
  if (!conf) return std::unexpected(std::move(conf.error()).context(typed));
  auto candidates = image::resolve_short_name(text, *conf);
  if (!candidates) return std::unexpected(std::move(candidates.error()).context(typed));

  std::vector<std::string> errors;
  for (const auto& candidate : *candidates) {
    const std::string name = "docker://" + candidate.str();
    if (conf->is_blocked(candidate)) {
      errors.push_back(name + ": registry " + candidate.domain + " is blocked in registries.conf");
      continue;
    }
    for (const auto& endpoint : conf->pull_endpoints(candidate)) {
      const auto& ref = endpoint.reference;
      bool insecure = endpoint.insecure || conf->is_insecure(ref.domain) || !options.tls_verify;
      auto pool = connect(ref.domain, insecure, options);
      if (!pool) {
        errors.push_back(name + ": " + pool.error().message());
        continue;
      }
      auto lease = (*pool)->acquire();
      if (!lease) {
        errors.push_back(name + ": " + lease.error().message());
        continue;
      }
      auto fetched = (*lease)->get_manifest(ref.path, tag_or_digest(ref), manifest_accept_types());
      if (!fetched) {
        errors.push_back(name + ": " + fetched.error().message());
        continue;
      }
      auto raw = to_raw(*fetched);
      if (!raw) return std::unexpected(std::move(raw.error()).context(name));
      { auto release = std::move(*lease); }
      return std::make_unique<DockerSource>(name, ref.path, ref, std::move(*pool), std::move(*raw));
    }
  }
  if (errors.empty()) return fail(typed + ": no registry to pull from");
  std::string msg = errors.front();
  for (size_t i = 1; i < errors.size(); ++i) msg += "; " + errors[i];
  return fail(msg);
}

Result<std::unique_ptr<ImageDestination>> open_docker_destination(std::string_view rest,
                                                                  const TransportOptions& options) {
  auto text = KRILL_TRY(strip_slashes(rest));
  const std::string typed = "docker://" + text;
  auto conf = load_conf(options);
  if (!conf) return std::unexpected(std::move(conf.error()).context(typed));
  auto candidates = image::resolve_short_name(text, *conf);
  if (!candidates) return std::unexpected(std::move(candidates.error()).context(typed));
  if (candidates->empty()) return fail(typed + ": no registry to push to");
  const auto& candidate = candidates->front();
  const std::string name = "docker://" + candidate.str();
  if (conf->is_blocked(candidate))
    return fail(name + ": registry " + candidate.domain + " is blocked in registries.conf");
  // The primary location (the last endpoint; the others are pull mirrors).
  auto endpoints = conf->pull_endpoints(candidate);
  image::Endpoint primary = endpoints.empty() ? image::Endpoint{} : endpoints.back();
  if (endpoints.empty() || primary.is_mirror) primary = {candidate.domain, candidate, false, false};
  const auto& ref = primary.reference;
  bool insecure = primary.insecure || conf->is_insecure(ref.domain) || !options.tls_verify;
  auto pool = connect(ref.domain, insecure, options);
  if (!pool) return std::unexpected(std::move(pool.error()).context(name));
  return std::make_unique<DockerDestination>(name, ref.path, ref, std::move(*pool));
}

}  // namespace krill::transport
