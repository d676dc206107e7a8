#include "loadgen/report/threshold.hpp"

#include <gtest/gtest.h>

#include "loadgen/report/stats.hpp"

namespace kdcperf::loadgen::report {
namespace {

Threshold parse_ok(std::string_view text) {
  std::string why;
  auto t = parse_threshold(text, &why);
  EXPECT_TRUE(t.ok()) << why;
  return t.ok() ? *t : Threshold{};
}

TEST(Threshold, ParsesTheDocumentedForms) {
  Threshold t = parse_ok("p99<5ms");
  EXPECT_EQ(t.metric, "p99");
  EXPECT_EQ(t.op, ThresholdOp::kLess);
  EXPECT_TRUE(t.latency);
  EXPECT_DOUBLE_EQ(t.value, 5e6);

  t = parse_ok("errors<0.1%");
  EXPECT_TRUE(t.share);
  EXPECT_DOUBLE_EQ(t.value, 0.001);

  t = parse_ok("rate>=20000");
  EXPECT_EQ(t.op, ThresholdOp::kGreaterEqual);
  EXPECT_DOUBLE_EQ(t.value, 20000);

  t = parse_ok(" service_p99.9 <= 250us ");
  EXPECT_EQ(t.metric, "service_p99.9");
  EXPECT_EQ(t.op, ThresholdOp::kLessEqual);
  EXPECT_DOUBLE_EQ(t.value, 250e3);

  EXPECT_DOUBLE_EQ(parse_ok("logins>1.5k").value, 1500);
  EXPECT_DOUBLE_EQ(parse_ok("max<2s").value, 2e9);
  EXPECT_DOUBLE_EQ(parse_ok("p50<3").value, 3e6);  // no unit: milliseconds
  EXPECT_DOUBLE_EQ(parse_ok("login_p99<40ms").value, 40e6);
  EXPECT_EQ(parse_ok("timeouts==0").op, ThresholdOp::kEqual);
  EXPECT_TRUE(parse_ok("loss<0.01").share);
}

TEST(Threshold, RejectsTypos) {
  std::string why;
  for (const char* bad : {"", "p99", "p98<5ms", "p99<5parsecs", "rate=>5", "errors<abc", "<5ms",
                          "rate>=5ms", "errors<5ms", "p99<-1ms", "p99<5ms extra", "latency<5ms"}) {
    EXPECT_FALSE(parse_threshold(bad, &why).ok()) << bad;
  }
  EXPECT_FALSE(parse_threshold("p98<5ms", &why).ok());
  EXPECT_NE(why.find("p98"), std::string::npos) << why;
}

TEST(Threshold, EvaluatesAgainstARun) {
  RunStats s;
  s.counts.exchanges = 1000;
  s.counts.replies = 30000;
  s.counts.logins_ok = 900;
  s.counts.timeouts = 5;
  // 1, 2, ..., 1000 ms: the 990th value (rank ceil(0.99 * 1000)) is 990 ms, stored within
  // 1/128 of itself.
  for (std::uint64_t v = 1; v <= 1000; ++v) s.latencies.latency.record(v * 1'000'000);
  std::string why;
  auto check = [&](const char* text, double measured_s) {
    auto t = parse_threshold(text, &why);
    EXPECT_TRUE(t.ok()) << why;
    return evaluate(*t, s, measured_s);
  };
  ThresholdResult r = check("p99<1s", 1);
  EXPECT_TRUE(r.passed);
  EXPECT_NEAR(r.actual, 990e6, 990e6 / 128);
  EXPECT_FALSE(check("p99<900ms", 1).passed);
  EXPECT_TRUE(check("max<=1000ms", 1).passed);
  EXPECT_DOUBLE_EQ(check("min<2ms", 1).actual, 1e6);
  EXPECT_TRUE(check("errors<1%", 1).passed);  // 5 of 1000 = 0.5%
  EXPECT_DOUBLE_EQ(check("errors<1%", 1).actual, 0.005);
  EXPECT_FALSE(check("errors<0.1%", 1).passed);
  EXPECT_TRUE(check("errors<=5", 1).passed);
  EXPECT_TRUE(check("rate>=20000", 1).passed);
  EXPECT_FALSE(check("rate>=20000", 2).passed);  // 15000/s over 2 s
  EXPECT_DOUBLE_EQ(check("logins>100", 3).actual, 300);
  EXPECT_FALSE(check("timeouts==0", 1).passed);
}

}  // namespace
}  // namespace kdcperf::loadgen::report
