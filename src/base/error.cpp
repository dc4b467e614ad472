#include "base/error.h"

#include <cstring>

namespace krill {

Error Error::from_errno(std::string_view what, int err) {
  std::string message(what);
  message += ": ";
  message += std::strerror(err);
  return Error(std::move(message), err);
}

Error&& Error::context(std::string_view outer) && {
  message_.insert(0, std::string(outer) + ": ");
  return std::move(*this);
}

Error& Error::context(std::string_view outer) & {
  message_.insert(0, std::string(outer) + ": ");
  return *this;
}

}  // namespace krill
