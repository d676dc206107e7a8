#include "loadgen/net/engine.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include "loadgen/net/worker.hpp"

namespace kdcperf::loadgen::net {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr unsigned kMaxThreads = 256;
constexpr unsigned kMaxSocketsPerWorker = 1u << 16;
constexpr std::size_t kMaxRequestBytes = 1u << 16;

std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * kSecond + ts.tv_nsec;
}

unsigned total_sockets(const EngineConfig& c) {
  if (c.sockets != 0) return c.sockets;
  return c.mode == LoadMode::kClosed ? std::max(2u, 2 * c.window) : std::max(256u, c.threads);
}

// Worker i's share of n when n is split over k workers (the first n % k get one more).
std::uint64_t share(std::uint64_t n, unsigned k, unsigned i) {
  return n / k + (i < n % k ? 1 : 0);
}

}  // namespace

unsigned effective_sockets(const EngineConfig& c) {
  return total_sockets(c);
}

krb::Status validate(const EngineConfig& c, std::string* why) {
  auto fail = [&](std::string msg) {
    *why = std::move(msg);
    return krb::Status(krb::Err::kInvalidArgument);
  };
  if (c.target.family() != AF_INET && c.target.family() != AF_INET6) {
    return fail("no target address");
  }
  if (c.target.port() == 0) return fail("the target needs a port");
  if (!c.target.is_loopback() && !c.allow_non_loopback) {
    return fail("refusing to send load to " + c.target.to_string() +
                ": not a loopback address (pass --allow-non-loopback to point kdcperf at a KDC "
                "you run elsewhere)");
  }
  if (c.threads == 0 || c.threads > kMaxThreads) return fail("threads must be 1..256");
  const unsigned sockets = total_sockets(c);
  if (sockets < c.threads) return fail("need at least one socket per thread");
  if ((sockets + c.threads - 1) / c.threads > kMaxSocketsPerWorker) {
    return fail("too many sockets per thread");
  }
  if (c.max_exchanges != 0 && c.max_exchanges < c.threads) {
    return fail("the request count must be at least the thread count");
  }
  if (c.timeout_ns <= 0) return fail("the timeout must be positive");
  if (c.warmup_ns < 0 || c.duration_ns < 0 || c.linger_ns < 0) {
    return fail("durations must not be negative");
  }
  if (c.poll_below_ns < 0 || c.poll_below_ns > 10'000'000) {
    return fail("the polling horizon must be 0..10 ms");
  }
  if (c.max_request_bytes < 16 || c.max_request_bytes > kMaxRequestBytes) {
    return fail("max request size must be 16..65536");
  }
  if (c.udp_buffer_bytes < 512 || c.udp_buffer_bytes > 65536 + 64) {
    return fail("UDP buffer size must be 512..65600");
  }
  if (c.mode == LoadMode::kClosed) {
    if (c.window == 0) return fail("the window must be at least 1");
    if (c.window < c.threads) return fail("the window must be at least the thread count");
    if (sockets < c.window) return fail("need at least as many sockets as the window");
    // Every loop stops by itself.
    if (c.duration_ns == 0 && c.max_exchanges == 0) {
      return fail("a closed-loop run needs a duration or a request count");
    }
  } else {
    if (c.schedule.empty()) return fail("an open-loop run needs a rate schedule");
    for (const RateSegment& s : c.schedule) {
      if (s.duration_ns <= 0 || s.start_rate < 0 || s.end_rate < 0) {
        return fail("each rate segment needs a positive duration and non-negative rates");
      }
    }
  }
  return krb::ok_status();
}

krb::Result<EngineResult> run(const EngineConfig& cfg, std::span<Workload* const> workloads,
                              std::string* why) {
  KRB_RETURN_IF_ERROR(validate(cfg, why));
  if (workloads.size() != cfg.threads) {
    *why = "one workload per thread is needed";
    return krb::Err::kInvalidArgument;
  }

  const unsigned n = cfg.threads;
  const unsigned sockets = total_sockets(cfg);
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < n; ++i) {
    WorkerPlan p;
    p.index = i;
    p.slots = static_cast<unsigned>(share(sockets, n, i));
    p.window = static_cast<unsigned>(share(cfg.window, n, i));
    p.max_exchanges = share(cfg.max_exchanges, n, i);
    if (cfg.mode == LoadMode::kOpen) {
      std::vector<RateSegment> segs;
      const double scale = 1.0 / n;
      if (cfg.warmup_ns > 0) {
        const double r = cfg.schedule.front().start_rate * scale;
        segs.push_back({r, r, cfg.warmup_ns});
      }
      for (const RateSegment& s : cfg.schedule) {
        segs.push_back({s.start_rate * scale, s.end_rate * scale, s.duration_ns});
      }
      p.schedule.emplace(std::move(segs));
    }
    workers.push_back(std::make_unique<Worker>(cfg, std::move(p), *workloads[i]));
  }

  // Each worker sets itself up on its own thread, then waits for the common start.
  std::mutex mu;
  std::condition_variable cv;
  unsigned ready = 0, finished = 0;
  bool go = false, abort = false;
  std::int64_t t0 = 0;
  std::vector<std::string> errors(n);
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      Worker& w = *workers[i];
      std::string err;
      const bool ok = w.setup(&err);
      std::int64_t start = 0;
      {
        std::unique_lock<std::mutex> lock(mu);
        if (!ok) {
          errors[i] = err;
          abort = true;
        }
        ++ready;
        cv.notify_all();
        cv.wait(lock, [&] { return go || abort; });
        start = t0;
        if (abort) {
          ++finished;
          cv.notify_all();
          return;
        }
      }
      w.run(start);
      std::lock_guard<std::mutex> lock(mu);
      ++finished;
      cv.notify_all();
    });
  }

  bool failed = false;
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return ready == n; });
    if (abort) {
      failed = true;
    } else {
      t0 = mono_ns() + 20'000'000;  // a moment for every thread to be waiting on its clock
      go = true;
    }
    cv.notify_all();
  }
  if (!failed) {
    // Progress about once a second, from what the workers publish when they close a second.
    std::uint64_t prev_replies = 0;
    for (std::int64_t k = 1;; ++k) {
      std::unique_lock<std::mutex> lock(mu);
      const auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::nanoseconds(t0 + k * kSecond + 50'000'000 - mono_ns());
      if (cv.wait_until(lock, deadline, [&] { return finished == n; })) break;
      lock.unlock();
      if (!cfg.on_progress) continue;
      Progress p;
      p.elapsed_s = static_cast<double>(k);
      p.warmup = true;
      for (auto& w : workers) {
        Published& pub = w->published();
        p.sent += pub.sent.load(std::memory_order_relaxed);
        p.replies += pub.replies.load(std::memory_order_relaxed);
        p.errors += pub.errors.load(std::memory_order_relaxed);
        p.target_rate += pub.row_target.load(std::memory_order_relaxed);
        p.p99_ns = std::max(p.p99_ns, pub.row_p99.load(std::memory_order_relaxed));
        p.warmup = p.warmup && pub.row_warmup.load(std::memory_order_relaxed);
      }
      p.replies_per_s = static_cast<double>(p.replies - std::min(prev_replies, p.replies));
      prev_replies = p.replies;
      cfg.on_progress(p);
    }
  }
  for (auto& t : threads) t.join();
  if (failed) {
    std::string msg;
    for (const auto& e : errors) {
      if (!e.empty()) msg += (msg.empty() ? "" : "; ") + e;
    }
    *why = msg;
    return krb::Err::kNotFound;
  }

  EngineResult out;
  std::int64_t end = t0;
  for (auto& w : workers) {
    out.stats.merge(w->stats());
    end = std::max(end, w->end_ns());
  }
  out.elapsed_ns = end - t0;
  for (auto& w : workers) {
    const double span = static_cast<double>(w->end_ns() - t0) / 1e9;
    if (span <= 0) continue;
    out.busiest_worker_cpu = std::max(out.busiest_worker_cpu, w->cpu_s() / span);
    out.busiest_worker_work =
        std::max(out.busiest_worker_work, std::max(0.0, w->cpu_s() - w->idle_poll_s()) / span);
  }
  const report::Counts& c = out.stats.counts;
  if (cfg.mode == LoadMode::kOpen) {
    out.late_send_ratio =
        c.sent ? static_cast<double>(c.late_sends) / static_cast<double>(c.sent) : 0;
    out.fell_behind = c.max_lag_ns > cfg.max_lag_ns || out.late_send_ratio > cfg.late_ratio;
  }
  return out;
}

krb::Result<SearchResult> search(const EngineConfig& base, const SearchConfig& sc,
                                 std::span<Workload* const> workloads, std::string* why) {
  if (sc.start_rate <= 0 || sc.growth < 1 || (sc.growth == 1 && sc.increment <= 0) ||
      sc.step_ns <= 0 || sc.max_steps == 0) {
    *why = "the search needs a positive start rate and step, and a rate that grows";
    return krb::Err::kInvalidArgument;
  }
  SearchResult out;
  double rate = sc.start_rate;
  for (unsigned k = 0; k < sc.max_steps && rate <= sc.max_rate; ++k) {
    EngineConfig cfg = base;
    cfg.mode = LoadMode::kOpen;
    cfg.schedule = {{rate, rate, sc.step_ns}};
    cfg.duration_ns = 0;
    cfg.max_exchanges = 0;
    auto r = run(cfg, workloads, why);
    if (!r.ok()) return r.error();
    SearchStep step;
    step.rate = rate;
    step.result = std::move(*r);
    const report::RunStats& st = step.result.stats;
    const double exchanges = static_cast<double>(std::max<std::uint64_t>(1, st.counts.exchanges));
    step.loss = static_cast<double>(st.counts.timeouts) / exchanges;
    step.error_ratio = static_cast<double>(st.counts.errors()) / exchanges;
    step.p99_ns = st.latencies.latency.quantile(0.99);
    step.achieved_rate = st.measured_ns > 0 ? static_cast<double>(st.counts.replies) * 1e9 /
                                                  static_cast<double>(st.measured_ns)
                                            : 0;
    step.fell_behind = step.result.fell_behind;
    step.passed = !step.fell_behind && step.loss <= sc.max_loss &&
                  step.error_ratio <= sc.max_errors &&
                  (sc.max_p99_ns == 0 || step.p99_ns <= static_cast<std::uint64_t>(sc.max_p99_ns));
    out.steps.push_back(std::move(step));
    const SearchStep& last = out.steps.back();
    if (last.fell_behind) {
      out.generator_limited = true;
      break;
    }
    if (!last.passed) break;
    out.best_rate = rate;
    out.best_step = static_cast<int>(out.steps.size() - 1);
    if (base.interrupt != nullptr && base.interrupt->load()) break;
    rate = rate * sc.growth + sc.increment;
  }
  return out;
}

}  // namespace kdcperf::loadgen::net
