#include "kdc/net/server.hpp"

#include <unistd.h>

#include <future>

#include "io/socket.hpp"

namespace kdcperf::kdc::net {
namespace {

// Opens this worker's sockets on `addr`; on success *addr carries the bound port (a port-0
// request is resolved by the first socket and reused by the others).
bool open_sockets(io::SocketAddress* addr, const ServerConfig& c, WorkerSockets* out,
                  std::string* why) {
  if (c.udp) {
    io::UdpOptions uo;
    uo.reuse_port = true;
    uo.recv_buffer = 4 << 20;  // bursts from a load generator must not overflow the socket
    uo.send_buffer = 4 << 20;
    auto u = io::open_udp(*addr, uo);
    if (!u.ok()) {
      *why = "UDP " + addr->to_string() + ": " + io::errno_name(u.error());
      return false;
    }
    if (addr->port() == 0) {
      auto local = io::local_address(u.value().get());
      if (!local.ok()) {
        *why = std::string("getsockname: ") + io::errno_name(local.error());
        return false;
      }
      addr->set_port(local.value().port());
    }
    out->udp.push_back(std::move(u.value()));
  }
  if (c.tcp) {
    auto t = io::open_tcp_listener(*addr, true, c.tcp_backlog);
    if (!t.ok()) {
      *why = "TCP " + addr->to_string() + ": " + io::errno_name(t.error());
      return false;
    }
    if (addr->port() == 0) {
      auto local = io::local_address(t.value().get());
      if (!local.ok()) {
        *why = std::string("getsockname: ") + io::errno_name(local.error());
        return false;
      }
      addr->set_port(local.value().port());
    }
    out->tcp_listeners.push_back(std::move(t.value()));
  }
  return true;
}

}  // namespace

std::unique_ptr<Server> Server::start(const db::PrincipalDb& db, ServerConfig config,
                                      std::string* why) {
  why->clear();
  if (config.listen.empty()) {
    *why = "no listen address";
    return nullptr;
  }
  if (!config.udp && !config.tcp) {
    *why = "neither UDP nor TCP";
    return nullptr;
  }
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const unsigned n =
      config.workers != 0 ? config.workers : static_cast<unsigned>(cpus > 0 ? cpus : 1);
  std::unique_ptr<Server> s(new Server());
  std::vector<WorkerSockets> sockets(n);
  for (io::SocketAddress addr : config.listen) {
    // A port-0 address can land on a port whose TCP side is taken: try a few.
    bool ok = false;
    for (int attempt = 0; attempt < 8 && !ok; ++attempt) {
      io::SocketAddress a = addr;
      std::vector<WorkerSockets> trial(n);
      ok = true;
      for (unsigned w = 0; w < n && ok; ++w) ok = open_sockets(&a, config, &trial[w], why);
      if (ok) {
        for (unsigned w = 0; w < n; ++w) {
          for (auto& fd : trial[w].udp) sockets[w].udp.push_back(std::move(fd));
          for (auto& fd : trial[w].tcp_listeners) sockets[w].tcp_listeners.push_back(std::move(fd));
        }
        s->bound_.push_back(a);
      } else if (addr.port() != 0) {
        return nullptr;
      }
    }
    if (!ok) return nullptr;
  }
  why->clear();  // a port-0 attempt that failed and was retried
  // Each worker creates its ring on its own thread: a SINGLE_ISSUER ring accepts submissions
  // only from the thread that made it.
  std::vector<std::promise<std::string>> ready(n);
  for (unsigned w = 0; w < n; ++w) {
    WorkerConfig wc = config.worker;
    if (config.pin) wc.cpu = static_cast<int>(w % static_cast<unsigned>(cpus > 0 ? cpus : 1));
    s->workers_.push_back(std::make_unique<Worker>(db, wc, std::move(sockets[w])));
  }
  for (unsigned w = 0; w < n; ++w) {
    Worker* wp = s->workers_[w].get();
    std::promise<std::string>* p = &ready[w];
    s->threads_.emplace_back([wp, p, stop = &s->stop_] {
      std::string err;
      if (!wp->setup(&err)) {
        p->set_value(err.empty() ? "worker setup failed" : err);
        return;
      }
      p->set_value("");
      wp->run(*stop);
    });
  }
  for (auto& p : ready) {
    std::string err = p.get_future().get();
    if (!err.empty() && why->empty()) *why = err;
  }
  if (!why->empty()) {
    s->stop();
    return nullptr;
  }
  return s;
}

Server::~Server() {
  stop();
}

void Server::stop() {
  stop_.store(true);
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

WorkerStats Server::stats() const {
  WorkerStats total;
  for (const auto& w : workers_) total += w->stats().load();
  return total;
}

}  // namespace kdcperf::kdc::net
