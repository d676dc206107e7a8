// What every top-level message decoder shares: the trailing-bytes policy and message-type
// sniffing (RFC 4120 §5: each message is one [APPLICATION msg-type] element).
#pragma once

#include "krb/base/bytes.hpp"
#include "krb/proto/types.hpp"

namespace kdcperf::krb::proto {

struct DecodeOptions {
  // Bytes after the message's own element. Strict by default; MIT's KDC accepts a UDP
  // datagram with junk after the DER message (KERBEROS-INTEROP.md §5.1), so a KDC that wants
  // to match it sets this. Bytes inside the message are never allowed.
  bool allow_trailing_bytes = false;
};

// The msg-type a message claims by its [APPLICATION n] tag, without decoding it (so the load
// generator can route AS-REP vs KRB-ERROR). MessageType::NONE when the first octet is not a
// constructed APPLICATION tag of low form or fewer than 2 bytes are present. Any other n is
// returned as is, named or not; the full decoder still checks everything.
MessageType peek_message_type(ByteView message);

}  // namespace kdcperf::krb::proto
