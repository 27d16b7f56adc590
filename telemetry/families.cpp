#include "telemetry/families.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace reznet::telemetry {

Families::Families(prometheus::Registry& r)
    : build(prometheus::BuildGauge()
                .Name("reznet_perf_build_info")
                .Help("Build of the running daemon; always 1.")
                .Register(r)),
      shard(prometheus::BuildGauge()
                .Name("reznet_perf_shard_info")
                .Help("The shard this daemon runs (index of `of`; 0 of 1 unsharded); always 1.")
                .Register(r)),
      nfr_ok(
          prometheus::BuildGauge()
              .Name("reznet_perf_nfr_ok")
              .Help("1 when the NFR is met (or has no data), 0 when violated (pending or firing).")
              .Register(r)),
      nfr_value(prometheus::BuildGauge()
                    .Name("reznet_perf_nfr_value")
                    .Help("The value the NFR was last evaluated on (seconds or ratio).")
                    .Register(r)),
      nfr_threshold(prometheus::BuildGauge()
                        .Name("reznet_perf_nfr_threshold")
                        .Help("The NFR's threshold (seconds or ratio).")
                        .Register(r)),
      nfr_state(prometheus::BuildGauge()
                    .Name("reznet_perf_nfr_state")
                    .Help("1 for the NFR's current state (ok, pending, firing, no_data).")
                    .Register(r)),
      nfr_good(prometheus::BuildCounter()
                   .Name("reznet_perf_nfr_good_total")
                   .Help("Evaluations with data where the NFR was met.")
                   .Register(r)),
      nfr_events(prometheus::BuildCounter()
                     .Name("reznet_perf_nfr_events_total")
                     .Help("Evaluations with data.")
                     .Register(r)),
      alerts_sent(prometheus::BuildCounter()
                      .Name("reznet_perf_alert_notifications_total")
                      .Help("POSTs of alerts to an Alertmanager.")
                      .Register(r)),
      alerts_failed(
          prometheus::BuildCounter()
              .Name("reznet_perf_alert_notifications_failed_total")
              .Help("POSTs of alerts to an Alertmanager that failed (retried with backoff).")
              .Register(r)),
      suite_runs(prometheus::BuildCounter()
                     .Name("reznet_perf_suite_runs_total")
                     .Help("Finished suite runs by profile and result (passed, failed, error).")
                     .Register(r)),
      suite_last_success(prometheus::BuildGauge()
                             .Name("reznet_perf_suite_last_success")
                             .Help("1 when the profile's last run passed, 0 otherwise.")
                             .Register(r)),
      suite_last_duration(prometheus::BuildGauge()
                              .Name("reznet_perf_suite_last_duration_seconds")
                              .Help("Wall time of the profile's last run.")
                              .Register(r)),
      suite_last_timestamp(prometheus::BuildGauge()
                               .Name("reznet_perf_suite_last_timestamp_seconds")
                               .Help("Unix time the profile's last run finished.")
                               .Register(r)),
      suite_last_failed(prometheus::BuildGauge()
                            .Name("reznet_perf_suite_last_nfrs_failed")
                            .Help("NFRs that failed in the profile's last run.")
                            .Register(r)),
      load_requests(prometheus::BuildCounter()
                        .Name("reznet_perf_load_requests_total")
                        .Help("Requests of load tests run by this daemon (suites), live.")
                        .Register(r)),
      load_failed(prometheus::BuildCounter()
                      .Name("reznet_perf_load_failed_total")
                      .Help("Failed requests of load tests run by this daemon, live.")
                      .Register(r)),
      load_iterations(prometheus::BuildCounter()
                          .Name("reznet_perf_load_iterations_total")
                          .Help("Scenario iterations started by load tests, live.")
                          .Register(r)),
      load_dropped(prometheus::BuildCounter()
                       .Name("reznet_perf_load_dropped_total")
                       .Help("Open-model iterations dropped for lack of a free user.")
                       .Register(r)),
      load_users(prometheus::BuildGauge()
                     .Name("reznet_perf_load_active_users")
                     .Help("Virtual users busy in a running load test.")
                     .Register(r)),
      load_running(prometheus::BuildGauge()
                       .Name("reznet_perf_load_running")
                       .Help("1 while the load test runs.")
                       .Register(r)),
      reload_ok(prometheus::BuildGauge()
                    .Name("reznet_perf_config_last_reload_successful")
                    .Help("1 when the last config reload (or the start) succeeded, 0 when it "
                          "was refused.")
                    .Register(r)),
      reload_time(prometheus::BuildGauge()
                      .Name("reznet_perf_config_last_reload_success_timestamp_seconds")
                      .Help("Unix time of the last successful config load.")
                      .Register(r)),
      history_write_failures(prometheus::BuildCounter()
                                 .Name("reznet_perf_history_write_failures_total")
                                 .Help("Finished suite runs the history store failed to keep.")
                                 .Register(r)),
      lateness(prometheus::BuildHistogram()
                   .Name("reznet_perf_scheduler_lateness_seconds")
                   .Help("How late probe runs start: actual start - planned start.")
                   .Register(r)),
      probe_requests(prometheus::BuildCounter()
                         .Name("reznet_perf_probe_requests_total")
                         .Help("GET /probe requests by module and result: success, failure, "
                               "bad_request, unknown_module, forbidden, refused (over the "
                               "concurrency limit), error.")
                         .Register(r)),
      discovery_targets(prometheus::BuildGauge()
                            .Name("reznet_perf_discovery_targets")
                            .Help("Probes made from the targets a probe's targets_from files "
                                  "list.")
                            .Register(r)),
      discovery_skipped(prometheus::BuildGauge()
                            .Name("reznet_perf_discovery_skipped_targets")
                            .Help("Targets listed in a probe's targets_from files but not probed, "
                                  "by reason: invalid, duplicate, over_limit (max_targets).")
                            .Register(r)),
      discovery_errors(prometheus::BuildCounter()
                           .Name("reznet_perf_discovery_errors_total")
                           .Help("Failed reads of a probe's targets_from files (unreadable, "
                                 "unparsable, vanished); the file keeps its last good targets.")
                           .Register(r)) {}

}  // namespace reznet::telemetry
