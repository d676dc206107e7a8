#include "io/ring.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>
#include <set>
#include <string>

namespace kdcperf::io {
namespace {

// A multishot recvmsg into a provided-buffer ring receives every datagram of a burst with
// its payload and source address, and buffers recycle so the burst can exceed the ring.
TEST(Ring, MultishotRecvmsgWithProvidedBuffers) {
  auto server = open_udp(*parse_address("127.0.0.1:0"));
  ASSERT_TRUE(server.ok()) << errno_name(server.error());
  auto bound = local_address(server.value().get());
  ASSERT_TRUE(bound.ok());
  auto client = connect_udp(bound.value());
  ASSERT_TRUE(client.ok());

  auto ring = Ring::create();
  ASSERT_TRUE(ring.ok()) << errno_name(ring.error());
  auto& r = *ring.value();
  auto bufs = BufferRing::create(r, 1, 8, 2048);
  ASSERT_TRUE(bufs.ok()) << errno_name(bufs.error());
  auto& br = *bufs.value();

  msghdr hdr{};
  hdr.msg_namelen = sizeof(sockaddr_storage);
  auto arm = [&] {
    io_uring_sqe* sqe = r.sqe();
    ASSERT_NE(sqe, nullptr);
    io_uring_prep_recvmsg_multishot(sqe, server.value().get(), &hdr, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = br.group_id();
  };
  arm();
  ASSERT_GE(r.submit(), 1);

  const auto client_addr = local_address(client.value().get());
  ASSERT_TRUE(client_addr.ok());
  constexpr int kDatagrams = 50;  // more than the 8 buffers: recycling must work
  std::set<std::string> seen;
  int sent = 0;
  while (static_cast<int>(seen.size()) < kDatagrams) {
    // Send at most as many as there are buffers, then reap them all.
    for (int i = 0; i < 4 && sent < kDatagrams; ++i, ++sent) {
      const std::string msg = "datagram-" + std::to_string(sent);
      ASSERT_EQ(::send(client.value().get(), msg.data(), msg.size(), 0),
                static_cast<ssize_t>(msg.size()));
    }
    ASSERT_GE(r.submit_and_wait(1), 0);
    bool rearm = false;
    r.drain([&](const io_uring_cqe& cqe) {
      ASSERT_GT(cqe.res, 0) << errno_name(cqe.res);
      ASSERT_TRUE(cqe.flags & IORING_CQE_F_BUFFER);
      const auto bid = static_cast<unsigned short>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
      auto* out = io_uring_recvmsg_validate(br.buffer(bid), cqe.res, &hdr);
      ASSERT_NE(out, nullptr);
      const auto* payload = static_cast<const char*>(io_uring_recvmsg_payload(out, &hdr));
      const auto len = io_uring_recvmsg_payload_length(out, cqe.res, &hdr);
      const auto from = SocketAddress::from_sockaddr(
          static_cast<const sockaddr*>(io_uring_recvmsg_name(out)), out->namelen);
      EXPECT_EQ(from.to_string(), client_addr.value().to_string());
      seen.insert(std::string(payload, len));
      br.recycle(bid);
      if (!(cqe.flags & IORING_CQE_F_MORE)) rearm = true;  // the kernel ended the multishot
    });
    br.publish();
    if (rearm) {
      arm();
      ASSERT_GE(r.submit(), 1);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kDatagrams));
  EXPECT_TRUE(seen.count("datagram-0") && seen.count("datagram-49"));
}

}  // namespace
}  // namespace kdcperf::io
