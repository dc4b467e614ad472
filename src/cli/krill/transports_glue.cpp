#include "cli/krill/transports_glue.h"

#include <unistd.h>

#include <cstdio>

namespace krill::cli {

Result<std::unique_ptr<transport::ImageSource>> open_source(std::string_view reference,
                                                            const transport::TransportOptions& o) {
  return transport::open_image_source(reference, o);
}

Result<std::unique_ptr<transport::ImageDestination>> open_destination(
    std::string_view reference, const transport::TransportOptions& o) {
  return transport::open_image_destination(reference, o);
}

Result<std::string> read_small_blob(transport::ImageSource& source, const image::Descriptor& blob) {
  std::FILE* file = std::tmpfile();
  if (!file) return fail_errno("create a temporary file for blob " + blob.digest.str());
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{file};
  KRILL_TRY(source.read_blob(blob, fileno(file)));
  std::string data;
  if (lseek(fileno(file), 0, SEEK_SET) < 0) return fail_errno("seek blob " + blob.digest.str());
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fileno(file), buf, sizeof buf);
    if (n < 0) return fail_errno("read blob " + blob.digest.str());
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

}  // namespace krill::cli
