// store_layer_file: one layer file into the content store and the layer store.
#include "image/layer_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace krill::image {

Result<Descriptor> store_blob_file(ImageStore& store, const std::string& path,
                                   std::string media_type, const Digest& digest) {
  Descriptor blob;
  blob.media_type = std::move(media_type);
  blob.digest = digest.empty() ? KRILL_TRY(digest_file(path)) : digest;
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return fail_errno("open " + path);
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return fail_errno("stat " + path);
  blob.size = st.st_size;
  if (store.content().contains(blob.digest)) return blob;
  auto writer = KRILL_TRY(store.content().writer(blob.digest, static_cast<uint64_t>(st.st_size)));
  std::string buffer(1 << 16, '\0');
  for (;;) {
    ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path);
    }
    if (n == 0) break;
    KRILL_CHECK(writer.write(std::string_view(buffer.data(), static_cast<size_t>(n))));
  }
  KRILL_TRY(writer.commit());
  return blob;
}

Result<StoredLayer> store_layer_file(ImageStore& store, const std::string& path,
                                     std::string media_type) {
  StoredLayer out;
  out.blob = KRILL_TRY(store_blob_file(store, path, std::move(media_type)));
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return fail_errno("open " + path);
  out.diff_id = KRILL_TRY(store.import_layer(in.get(), out.blob));
  return out;
}

}  // namespace krill::image
