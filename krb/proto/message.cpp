#include "krb/proto/message.hpp"

#include "krb/der/tag.hpp"

namespace kdcperf::krb::proto {

MessageType peek_message_type(ByteView message) {
  if (message.size() < 2) return MessageType::NONE;
  const auto tag = std::to_integer<unsigned>(message[0]);
  constexpr unsigned kClassAndForm = der::kClassApplication | der::kConstructed;
  if ((tag & 0xe0) != kClassAndForm || (tag & 0x1f) == 0x1f) return MessageType::NONE;
  return static_cast<MessageType>(tag & 0x1f);
}

}  // namespace kdcperf::krb::proto
