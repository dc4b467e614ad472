#include "transport/copy.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "base/unique_fd.h"
#include "image/media_types.h"

namespace krill::transport {
namespace {

namespace mt = image::media_types;

// Writes to a pipe whose reader is gone must fail with EPIPE, not kill the process: worker
// threads block SIGPIPE (a thread-directed signal left pending is discarded when it exits).
void block_sigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// The same for the calling thread, restoring its mask afterwards (a SIGPIPE raised meanwhile is
// consumed first, so restoring does not deliver it).
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~ScopedSigpipeBlock() {
    if (sigismember(&old_, SIGPIPE)) return;
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      timespec zero{0, 0};
      while (sigtimedwait(&set, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t old_;
};

// Cancellation shared by all blob transfers of one copy: an eventfd that becomes readable.
class Cancel {
 public:
  Cancel() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  void trigger() {
    cancelled_ = true;
    uint64_t one = 1;
    if (fd_.valid()) (void)!::write(fd_.get(), &one, sizeof one);
  }
  bool cancelled() const { return cancelled_; }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::atomic<bool> cancelled_{false};
};

std::string blob_what(const image::Descriptor& blob, ImageSource& source,
                      ImageDestination& destination) {
  return "copy blob " + blob.digest.str() + " from " + source.name() + " to " + destination.name();
}

// Waits until `fd` is ready for `events` or the copy is cancelled. False on cancel.
Result<bool> wait_ready(int fd, short events, const Cancel* cancel) {
  for (;;) {
    pollfd fds[2] = {{fd, events, 0}, {cancel ? cancel->fd() : -1, POLLIN, 0}};
    int n = ::poll(fds, cancel ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("poll blob pipe");
    }
    if (cancel && (fds[1].revents & POLLIN)) return false;
    if (fds[0].revents) return true;
  }
}

// source.read_blob -> pipe A -> relay (this thread: counts, watches for cancellation) ->
// pipe B -> destination.write_blob. The relay owns A's read end and B's write end, so closing
// them is how it cancels: the source gets EPIPE, the destination a short read.
Result<void> transfer(ImageSource& source, ImageDestination& destination,
                      const image::Descriptor& blob, CopyProgress* progress, const Cancel* cancel) {
  const std::string what = blob_what(blob, source, destination);
  int a[2], b[2];
  if (::pipe2(a, O_CLOEXEC) != 0) return fail_errno(what + ": create pipe");
  UniqueFd a_read(a[0]), a_write(a[1]);
  if (::pipe2(b, O_CLOEXEC) != 0) return fail_errno(what + ": create pipe");
  UniqueFd b_read(b[0]), b_write(b[1]);
  ScopedSigpipeBlock no_sigpipe;

  std::optional<Result<uint64_t>> read_result;
  std::optional<Result<void>> write_result;
  std::thread reader([&, fd = std::move(a_write)]() mutable {
    block_sigpipe();
    read_result = source.read_blob(blob, fd.get());
    fd.reset();
  });
  std::thread writer([&, fd = std::move(b_read)]() mutable {
    block_sigpipe();
    write_result = destination.write_blob(blob, fd.get());
    fd.reset();
  });

  if (progress && progress->on_blob_start) progress->on_blob_start(blob);
  std::optional<Error> relay_error;
  bool cancelled = false;
  for (;;) {
    auto readable = wait_ready(a_read.get(), POLLIN, cancel);
    if (!readable) {
      relay_error = readable.error();
      break;
    }
    if (!*readable) {
      cancelled = true;
      break;
    }
    auto writable = wait_ready(b_write.get(), POLLOUT, cancel);
    if (!writable) {
      relay_error = writable.error();
      break;
    }
    if (!*writable) {
      cancelled = true;
      break;
    }
    ssize_t n = ::splice(a_read.get(), nullptr, b_write.get(), nullptr, 1 << 20,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n == 0) break;  // the source closed its end
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      if (errno != EPIPE) relay_error = Error::from_errno("relay blob between pipes");
      break;  // EPIPE: the destination stopped reading; its own result says why
    }
    if (progress && progress->on_blob_bytes) progress->on_blob_bytes(blob, uint64_t(n));
  }
  a_read.reset();
  b_write.reset();
  reader.join();
  writer.join();

  if (cancelled) return fail(what + ": cancelled after another blob failed");
  const Result<uint64_t>& r = *read_result;
  const Result<void>& w = *write_result;
  if (!r && r.error().errno_value() != EPIPE)
    return fail(what + ": reading: " + r.error().message());
  if (!w) return fail(what + ": writing: " + w.error().message());
  if (!r) return fail(what + ": reading: " + r.error().message());
  if (relay_error) return fail(what + ": " + relay_error->message());
  if (blob.size >= 0 && *r != static_cast<uint64_t>(blob.size))
    return fail(what + ": source sent " + std::to_string(*r) + " bytes, expected " +
                std::to_string(blob.size));
  if (progress && progress->on_blob_done) progress->on_blob_done(blob, false);
  return {};
}

struct BlobOutcome {
  image::Descriptor blob;
  bool skipped = false;
};

// Copies `blobs` (deduplicated by digest against `seen`), up to `parallel` at a time; the first
// error cancels the transfers in flight and is returned.
Result<void> copy_blobs(ImageSource& source, ImageDestination& destination,
                        const std::vector<image::Descriptor>& blobs, const CopyOptions& options,
                        std::set<image::Digest>& seen, CopyResult& result) {
  std::vector<image::Descriptor> todo;
  for (const auto& b : blobs)
    if (seen.insert(b.digest).second) todo.push_back(b);
  if (todo.empty()) return {};

  Cancel cancel;
  std::mutex mutex;
  std::optional<Error> first_error;
  std::vector<BlobOutcome> outcomes(todo.size());
  std::vector<bool> done(todo.size(), false);
  size_t next = 0;

  const std::vector<std::string> locations = source.blob_locations();
  auto work = [&]() {
    for (;;) {
      size_t i;
      {
        std::lock_guard lock(mutex);
        if (first_error || next >= todo.size()) return;
        i = next++;
      }
      const auto& blob = todo[i];
      Result<void> r;
      auto has = destination.has_blob(blob);
      if (!has) {
        r = fail(blob_what(blob, source, destination) +
                 ": check destination: " + has.error().message());
      } else if (*has) {
        if (options.progress && options.progress->on_blob_done)
          options.progress->on_blob_done(blob, true);
        outcomes[i] = {blob, true};
      } else if (auto reused = destination.reuse_blob(blob, locations); reused && *reused) {
        if (options.progress && options.progress->on_blob_done)
          options.progress->on_blob_done(blob, true);
        outcomes[i] = {blob, true};
      } else {
        // A mount the registry refused (or could not answer) is not an error: upload instead.
        r = transfer(source, destination, blob, options.progress, &cancel);
        outcomes[i] = {blob, false};
      }
      std::lock_guard lock(mutex);
      if (!r) {
        // A cancellation caused by the first error is not itself reported.
        if (!first_error) {
          first_error = r.error();
          cancel.trigger();
        }
        return;
      }
      done[i] = true;
    }
  };

  int n = std::max(1, std::min<int>(options.parallel_blobs, static_cast<int>(todo.size())));
  std::vector<std::thread> workers;
  for (int i = 1; i < n; ++i)
    workers.emplace_back([&] {
      block_sigpipe();
      work();
    });
  work();
  for (auto& t : workers) t.join();
  if (first_error) return std::unexpected(*first_error);
  for (size_t i = 0; i < todo.size(); ++i) {
    if (!done[i]) continue;
    (outcomes[i].skipped ? result.skipped : result.copied).push_back(outcomes[i].blob);
  }
  return {};
}

Result<void> verify_digest(const RawManifest& raw, const image::Digest& expected,
                           const std::string& what) {
  auto hasher = KRILL_TRY(image::Hasher::create(expected.algorithm()));
  hasher.update(raw.bytes);
  auto got = hasher.finish();
  if (got != expected)
    return fail(what + ": manifest digest mismatch: got " + got.str() + ", expected " +
                expected.str());
  return {};
}

Result<std::string> media_type_of(const RawManifest& raw) {
  std::string t(image::strip_media_type_parameters(raw.media_type));
  if (mt::is_manifest(t) || mt::is_index(t) || mt::is_docker_schema1(t)) return t;
  return image::detect_media_type(raw.bytes);
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  for (const auto& x : v)
    if (x == s) return true;
  return false;
}

// The media type a manifest (index) of type `type` is written as.
Result<std::string> target_type(const std::string& type, const CopyOptions& options,
                                const std::vector<std::string>& supported) {
  bool index = mt::is_index(type);
  if (options.format == "oci") return std::string(index ? mt::kOciIndex : mt::kOciManifest);
  if (options.format == "v2s2")
    return std::string(index ? mt::kDockerManifestList : mt::kDockerManifest);
  if (!options.format.empty())
    return fail("unknown manifest format \"" + options.format + "\": use oci or v2s2");
  if (supported.empty() || contains(supported, type)) return type;
  if (mt::is_docker_schema1(type))
    return fail("Docker schema1 manifests cannot be converted; the destination takes none");
  for (const auto& s : supported)
    if (index ? mt::is_index(s) : mt::is_manifest(s)) return s;
  return fail("the destination accepts none of " + type + " or its conversions");
}

struct Prepared {
  RawManifest raw;
  bool converted = false;
};

RawManifest raw_from_json(std::string json, std::string media_type) {
  RawManifest r;
  r.digest = image::sha256_of(json);
  r.bytes = std::move(json);
  r.media_type = std::move(media_type);
  return r;
}

Result<void> check_preserve(const CopyOptions& options, const RawManifest& from,
                            const std::string& to_type, const std::string& what) {
  if (options.preserve_digests)
    return fail(what + ": converting the manifest " + from.digest.str() + " from " +
                from.media_type + " to " + to_type +
                " would change its digest, and digests are to be preserved");
  return {};
}

void report_manifest(const CopyOptions& options, const RawManifest& raw, bool instance) {
  if (options.progress && options.progress->on_manifest)
    options.progress->on_manifest(raw.digest, raw.media_type, instance);
}

class Copier {
 public:
  Copier(ImageSource& s, ImageDestination& d, const CopyOptions& o)
      : source_(s), destination_(d), options_(o), supported_(d.supported_manifest_types()) {
    what_ = "copy " + s.name() + " to " + d.name();
  }

  // Copies one image manifest's blobs and writes it; returns what was written.
  Result<RawManifest> copy_manifest(RawManifest raw, bool is_instance) {
    auto manifest = image::parse_manifest(raw.bytes, raw.media_type);
    if (!manifest)
      return fail(what_ + ": manifest " + raw.digest.str() + ": " + manifest.error().message());
    std::vector<image::Descriptor> blobs;
    blobs.push_back(manifest->config);
    for (const auto& l : manifest->layers) {
      if (!l.urls.empty() && (l.media_type == mt::kDockerForeignLayerGzip ||
                              l.media_type.find("nondistributable") != std::string::npos))
        continue;  // foreign layers stay where they are
      blobs.push_back(l);
    }
    auto target = target_type(raw.media_type, options_, supported_);
    if (!target) return fail(what_ + ": " + target.error().message());
    RawManifest out = std::move(raw);
    if (*target != out.media_type) {
      KRILL_CHECK(check_preserve(options_, out, *target, what_));
      auto converted =
          *target == mt::kOciManifest ? image::to_oci(*manifest) : image::to_docker(*manifest);
      if (!converted)
        return fail(what_ + ": convert manifest " + out.digest.str() + " to " + *target + ": " +
                    converted.error().message());
      out = raw_from_json(image::to_json(*converted), *target);
    }
    auto config_first = destination_.begin_manifest(*manifest);
    if (!config_first) return fail(what_ + ": " + config_first.error().message());
    if (*config_first) {
      KRILL_CHECK(copy_blobs(source_, destination_, {blobs.front()}, options_, seen_, result_));
      blobs.erase(blobs.begin());
    }
    KRILL_CHECK(copy_blobs(source_, destination_, blobs, options_, seen_, result_));
    KRILL_CHECK_CTX(destination_.put_manifest(out, is_instance), what_ + ": write manifest");
    report_manifest(options_, out, is_instance);
    return out;
  }

  // An index with --all: every instance, then the index (rewritten when an instance changed).
  Result<RawManifest> copy_index(RawManifest raw, bool is_instance) {
    auto index = image::parse_index(raw.bytes, raw.media_type);
    if (!index) return fail(what_ + ": index " + raw.digest.str() + ": " + index.error().message());
    bool changed = false;
    for (auto& entry : index->manifests) {
      auto child = source_.manifest(entry.digest);
      if (!child)
        return fail(what_ + ": read manifest " + entry.digest.str() + ": " +
                    child.error().message());
      KRILL_CHECK_CTX(verify_digest(*child, entry.digest, entry.digest.str()), what_);
      auto type = media_type_of(*child);
      if (!type)
        return fail(what_ + ": manifest " + entry.digest.str() + ": " + type.error().message());
      child->media_type = *type;
      child->digest = entry.digest;
      RawManifest written;
      if (mt::is_index(*type)) {
        written = KRILL_TRY(copy_index(std::move(*child), true));
      } else {
        written = KRILL_TRY(copy_manifest(std::move(*child), true));
      }
      if (written.digest != entry.digest || written.media_type != entry.media_type) {
        changed = true;
        entry.digest = written.digest;
        entry.size = static_cast<int64_t>(written.bytes.size());
        entry.media_type = written.media_type;
      }
    }
    auto target = target_type(raw.media_type, options_, supported_);
    if (!target) return fail(what_ + ": " + target.error().message());
    RawManifest out = std::move(raw);
    if (changed || *target != out.media_type) {
      KRILL_CHECK(check_preserve(options_, out, *target, what_));
      auto converted = *target == mt::kOciIndex ? image::to_oci(*index) : image::to_docker(*index);
      if (!converted)
        return fail(what_ + ": convert index " + out.digest.str() + " to " + *target + ": " +
                    converted.error().message());
      converted->media_type = *target;
      out = raw_from_json(image::to_json(*converted), *target);
    }
    KRILL_CHECK_CTX(destination_.put_manifest(out, is_instance), what_ + ": write index");
    report_manifest(options_, out, is_instance);
    return out;
  }

  Result<CopyResult> run() {
    auto top = source_.manifest({});
    if (!top) return fail(what_ + ": read manifest: " + top.error().message());
    auto type = media_type_of(*top);
    if (!type) return fail(what_ + ": manifest: " + type.error().message());
    top->media_type = *type;
    RawManifest written;
    if (mt::is_index(*type)) {
      if (options_.all) {
        written = KRILL_TRY(copy_index(std::move(*top), false));
      } else {
        auto index = image::parse_index(top->bytes, top->media_type);
        if (!index) return fail(what_ + ": index: " + index.error().message());
        image::Platform wanted = options_.platform ? *options_.platform : image::host_platform();
        const image::Descriptor* entry = image::select_manifest(*index, wanted);
        if (!entry)
          return fail(what_ + ": no image for platform " + wanted.str() + " in the index");
        auto child = source_.manifest(entry->digest);
        if (!child)
          return fail(what_ + ": read manifest " + entry->digest.str() + ": " +
                      child.error().message());
        KRILL_CHECK_CTX(verify_digest(*child, entry->digest, entry->digest.str()), what_);
        auto ctype = media_type_of(*child);
        if (!ctype) return fail(what_ + ": manifest: " + ctype.error().message());
        child->media_type = *ctype;
        child->digest = entry->digest;
        if (!mt::is_manifest(*ctype))
          return fail(what_ + ": platform entry " + entry->digest.str() + " is a " + *ctype);
        written = KRILL_TRY(copy_manifest(std::move(*child), false));
      }
    } else if (mt::is_manifest(*type)) {
      written = KRILL_TRY(copy_manifest(std::move(*top), false));
    } else {
      return fail(what_ + ": unsupported manifest type " + *type);
    }
    KRILL_CHECK_CTX(destination_.commit(), what_ + ": commit");
    result_.manifest_digest = written.digest;
    result_.manifest_media_type = written.media_type;
    return std::move(result_);
  }

 private:
  ImageSource& source_;
  ImageDestination& destination_;
  const CopyOptions& options_;
  std::vector<std::string> supported_;
  std::string what_;
  std::set<image::Digest> seen_;
  CopyResult result_;
};

}  // namespace

Result<void> copy_blob(ImageSource& source, ImageDestination& destination,
                       const image::Descriptor& blob, CopyProgress* progress) {
  return transfer(source, destination, blob, progress, nullptr);
}

Result<CopyResult> copy_image(ImageSource& source, ImageDestination& destination,
                              const CopyOptions& options) {
  return Copier(source, destination, options).run();
}

}  // namespace krill::transport
