// store_layer_file: one layer file into the content store and the layer store.
#include "image/layer_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace krill::image {

Result<StoredLayer> store_layer_file(ImageStore& store, const std::string& path,
                                     std::string media_type) {
  StoredLayer out;
  out.blob.media_type = std::move(media_type);
  out.blob.digest = KRILL_TRY(digest_file(path));
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return fail_errno("open " + path);
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return fail_errno("stat " + path);
  out.blob.size = st.st_size;
  auto writer =
      KRILL_TRY(store.content().writer(out.blob.digest, static_cast<uint64_t>(st.st_size)));
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
  if (::lseek(in.get(), 0, SEEK_SET) != 0) return fail_errno("seek " + path);
  out.diff_id = KRILL_TRY(store.import_layer(in.get(), out.blob));
  return out;
}

}  // namespace krill::image
