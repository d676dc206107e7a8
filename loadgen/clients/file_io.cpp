#include "loadgen/clients/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "krb/base/secret.hpp"

namespace kdcperf::loadgen::clients {

using krb::Err;

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

}  // namespace

krb::Result<krb::Buffer> read_file(const std::string& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Err::kNotFound;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return Err::kInvalidArgument;
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return Err::kElementTooLarge;
  krb::Buffer out(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);  // a file that shrank while read
  return out;
}

krb::Status write_file_atomic(const std::string& path, krb::ByteView bytes, unsigned mode) {
  if (path.empty()) return Err::kInvalidArgument;
  std::string tmp = path + ".XXXXXX";
  std::vector<char> name(tmp.begin(), tmp.end());
  name.push_back('\0');
  Fd fd(::mkostemp(name.data(), O_CLOEXEC));  // mode 0600
  if (fd.get() < 0) return Err::kNotFound;
  tmp.assign(name.data());
  auto fail = [&](Err e) {
    ::unlink(tmp.c_str());
    return krb::Status(e);
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(Err::kInvalidArgument);
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0 || ::fsync(fd.get()) != 0) {
    return fail(Err::kInvalidArgument);
  }
  if (::close(fd.release()) != 0) return fail(Err::kInvalidArgument);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(Err::kInvalidArgument);
  return krb::ok_status();
}

krb::Status save_keys_file(const Population& population, const std::string& path,
                           std::uint32_t timestamp) {
  KRB_ASSIGN_OR_RETURN(krb::SecretBytes kt, population.to_keytab(timestamp));
  return write_file_atomic(path, kt.view(), 0600);
}

krb::Result<std::uint64_t> load_keys_file(Population& population, const std::string& path,
                                          std::span<const std::int32_t> preference) {
  KRB_ASSIGN_OR_RETURN(krb::Buffer bytes, read_file(path));
  auto loaded = population.load_keys(bytes, preference);
  krb::secure_wipe(bytes.data(), bytes.size());  // the file holds keys
  return loaded;
}

}  // namespace kdcperf::loadgen::clients
