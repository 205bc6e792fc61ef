#include "metrics_test_support.hpp"

#include <doctest/doctest.h>

using namespace llmtrace;
using core_test::scoped_env;
namespace m = llmtrace::metrics;

TEST_CASE("OTEL_METRICS_EXPORTER: default otlp, lists, none") {
  {
    scoped_env e("OTEL_METRICS_EXPORTER", nullptr);
    CHECK(m::exporter_names_from_env() == std::vector<std::string>{"otlp"});
  }
  {
    scoped_env e("OTEL_METRICS_EXPORTER", "Console, prometheus,console");
    CHECK(m::exporter_names_from_env() == std::vector<std::string>{"console", "prometheus"});
  }
  {
    scoped_env e("OTEL_METRICS_EXPORTER", "none");
    CHECK(m::exporter_names_from_env().empty());
  }
}

TEST_CASE("interval, timeout, temporality preference and exemplar filter from the environment") {
  core_test::captured_errors errors;
  {
    scoped_env a("OTEL_METRIC_EXPORT_INTERVAL", "1500");
    scoped_env b("OTEL_METRIC_EXPORT_TIMEOUT", "700");
    const auto o = m::periodic_reader_options_from_env();
    CHECK(o.interval.count() == 1500);
    CHECK(o.timeout.count() == 700);
  }
  {
    scoped_env a("OTEL_METRIC_EXPORT_INTERVAL", "soon");
    const auto o = m::periodic_reader_options_from_env();
    CHECK(o.interval.count() == 60000);
    CHECK(o.timeout.count() == 30000);
  }
  {
    scoped_env a("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta");
    CHECK(m::temporality_preference_from_env() == m::temporality_preference::delta);
  }
  {
    scoped_env a("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "lowmemory");
    CHECK(m::temporality_preference_from_env() == m::temporality_preference::lowmemory);
  }
  {
    scoped_env a("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes");
    CHECK(m::temporality_preference_from_env() == m::temporality_preference::cumulative);
  }
  {
    scoped_env a("OTEL_METRICS_EXEMPLAR_FILTER", "always_off");
    CHECK(m::exemplar_filter_from_env() == m::exemplar_filter::always_off);
  }
  {
    scoped_env a("OTEL_METRICS_EXEMPLAR_FILTER", "maybe");
    CHECK(m::exemplar_filter_from_env() == m::exemplar_filter::trace_based);
  }
  CHECK(errors.count("OTEL_METRIC_EXPORT_INTERVAL='soon'") == 1);
  CHECK(errors.count("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE='sometimes'") == 1);
  CHECK(errors.count("OTEL_METRICS_EXEMPLAR_FILTER='maybe'") == 1);
}

TEST_CASE("the temporality table of the SDK specification") {
  using k = m::instrument_kind;
  using t = m::aggregation_temporality;
  const auto d = m::temporality_preference::delta, l = m::temporality_preference::lowmemory;
  CHECK(m::temporality_for(d, k::counter) == t::delta);
  CHECK(m::temporality_for(d, k::observable_counter) == t::delta);
  CHECK(m::temporality_for(d, k::histogram) == t::delta);
  CHECK(m::temporality_for(d, k::up_down_counter) == t::cumulative);
  CHECK(m::temporality_for(d, k::observable_up_down_counter) == t::cumulative);
  CHECK(m::temporality_for(l, k::counter) == t::delta);
  CHECK(m::temporality_for(l, k::histogram) == t::delta);
  CHECK(m::temporality_for(l, k::observable_counter) == t::cumulative);
  CHECK(m::temporality_for(m::temporality_preference::cumulative, k::counter) == t::cumulative);
}
