#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace llmtrace;
using core_test::captured_errors;
using core_test::scoped_env;

TEST_CASE("sampler from the environment") {
  captured_errors errs;
  {
    scoped_env s("OTEL_TRACES_SAMPLER", nullptr);
    CHECK(sampler_from_env().description().rfind("ParentBased{root:AlwaysOnSampler", 0) == 0);
  }
  {
    scoped_env s("OTEL_TRACES_SAMPLER", "TraceIdRatio");
    scoped_env a("OTEL_TRACES_SAMPLER_ARG", "0.25");
    CHECK(sampler_from_env().description() == "TraceIdRatioBased{0.250000}");
  }
  {
    scoped_env s("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
    scoped_env a("OTEL_TRACES_SAMPLER_ARG", "0.5");
    CHECK(sampler_from_env().description().find("root:TraceIdRatioBased{0.500000}") != std::string::npos);
  }
  {
    scoped_env s("OTEL_TRACES_SAMPLER", "always_off");
    CHECK(sampler_from_env().description() == "AlwaysOffSampler");
  }
  CHECK(errs.messages().empty());
}

TEST_CASE("invalid values are reported once each and the defaults are used") {
  captured_errors errs;
  scoped_env s("OTEL_TRACES_SAMPLER", "sometimes");
  CHECK(sampler_from_env().description().rfind("ParentBased{root:AlwaysOnSampler", 0) == 0);
  CHECK(errs.count("OTEL_TRACES_SAMPLER='sometimes'") == 1);

  scoped_env r("OTEL_TRACES_SAMPLER", "traceidratio");
  scoped_env a("OTEL_TRACES_SAMPLER_ARG", "1.5");
  CHECK(sampler_from_env().description() == "TraceIdRatioBased{1.000000}");
  CHECK(errs.count("OTEL_TRACES_SAMPLER_ARG='1.5'") == 1);

  scoped_env q("OTEL_BSP_MAX_QUEUE_SIZE", "lots");
  scoped_env d("OTEL_BSP_SCHEDULE_DELAY", "-5");
  scoped_env b("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "100");
  const auto o = batch_options_from_env();
  CHECK(o.max_queue_size == 2048);
  CHECK(o.schedule_delay == std::chrono::milliseconds(5000));
  CHECK(o.max_export_batch_size == 100);
  CHECK(errs.count("OTEL_BSP_MAX_QUEUE_SIZE='lots'") == 1);
  CHECK(errs.count("OTEL_BSP_SCHEDULE_DELAY='-5'") == 1);

  scoped_env dis("OTEL_SDK_DISABLED", "yes please");
  CHECK_FALSE(sdk_disabled_from_env());
  CHECK(errs.count("OTEL_SDK_DISABLED") == 1);
}

TEST_CASE("batch settings from the environment, with the batch capped by the queue") {
  captured_errors errs;
  scoped_env q("OTEL_BSP_MAX_QUEUE_SIZE", "100");
  scoped_env b("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "500");
  scoped_env d("OTEL_BSP_SCHEDULE_DELAY", "250");
  scoped_env t("OTEL_BSP_EXPORT_TIMEOUT", "1000");
  const auto o = batch_options_from_env();
  CHECK(o.max_queue_size == 100);
  CHECK(o.max_export_batch_size == 100);
  CHECK(o.schedule_delay == std::chrono::milliseconds(250));
  CHECK(o.export_timeout == std::chrono::milliseconds(1000));
  CHECK(errs.count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") == 1);
}

TEST_CASE("limits: span-specific variables win over the general ones") {
  captured_errors errs;
  scoped_env a("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100");
  scoped_env b("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "50");
  scoped_env c("OTEL_ATTRIBUTE_COUNT_LIMIT", "10");
  scoped_env d("OTEL_SPAN_EVENT_COUNT_LIMIT", "5");
  scoped_env e("OTEL_SPAN_LINK_COUNT_LIMIT", "x");
  const auto l = limits_from_env();
  CHECK(l.attribute_value_length == 50);
  CHECK(l.attribute_count == 10);
  CHECK(l.event_attribute_count == 10);
  CHECK(l.link_attribute_count == 10);
  CHECK(l.event_count == 5);
  CHECK(l.link_count == 128);
  CHECK(errs.count("OTEL_SPAN_LINK_COUNT_LIMIT") == 1);
}

TEST_CASE("limits from the environment apply to spans") {
  scoped_env a("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "3");
  core_test::recording_provider rp(sampler::always_on(), limits_from_env());
  { span s(rp.tracer, "x", span_kind::internal, {{"k", "😀😀😀😀"}}); }
  CHECK(rp.only("x").attributes.get_string("k") == "😀😀😀");
}

TEST_CASE("exporter names: default otlp, lists, none, duplicates") {
  {
    scoped_env e("OTEL_TRACES_EXPORTER", nullptr);
    CHECK(exporter_names_from_env() == std::vector<std::string>{"otlp"});
  }
  {
    scoped_env e("OTEL_TRACES_EXPORTER", "OTLP, console,otlp");
    CHECK(exporter_names_from_env() == std::vector<std::string>{"otlp", "console"});
  }
  {
    scoped_env e("OTEL_TRACES_EXPORTER", "none");
    CHECK(exporter_names_from_env().empty());
  }
}

TEST_CASE("empty variables count as unset") {
  captured_errors errs;
  scoped_env e("OTEL_BSP_MAX_QUEUE_SIZE", "  ");
  CHECK(batch_options_from_env().max_queue_size == 2048);
  CHECK(errs.messages().empty());
}
