//! `healthcheck` → readiness and liveness exec probes (`CMD` as argv, `CMD-SHELL` under
//! `sh -c`), `start_period` → a startup probe that allows the whole start period plus
//! `retries` failed checks; durations in whole seconds, rounded up.
//!
//! Liveness is a deliberate difference: Docker only marks a container that fails `retries`
//! checks in a row as unhealthy and never restarts it, while Kubernetes restarts it. The
//! readiness probe is what stands for Docker's health status (it gates traffic, and what waits
//! for `service_healthy`); settings `probes:` replace all three when restarts are not wanted.

use std::time::Duration;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::lower::probes::LoweredProbes;
use crate::sources::compose::{HealthTest, Healthcheck};
use crate::workload::{Probe, ProbeAction};

/// Docker's defaults for what a healthcheck leaves out.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_RETRIES: u32 = 3;

pub fn no_probes() -> LoweredProbes {
    LoweredProbes {
        startup: None,
        readiness: None,
        liveness: None,
    }
}

/// `at` says where the service's settings are written ("under `services.web` in …").
pub fn healthcheck_probes(
    healthcheck: &Healthcheck,
    span: Span,
    field: &str,
    at: &str,
    d: &mut Diagnostics,
) -> LoweredProbes {
    if healthcheck.disable == Some(true) {
        return no_probes();
    }
    let command = match healthcheck.test.as_ref().map(|t| &t.value) {
        Some(HealthTest::Cmd(argv)) => argv.clone(),
        Some(HealthTest::CmdShell(script)) => {
            vec!["sh".to_string(), "-c".to_string(), script.clone()]
        }
        Some(HealthTest::None | HealthTest::Disable) => return no_probes(),
        None => {
            d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    "a healthcheck without `test` adjusts the image's own check, which Kubernetes does not run; no probe is made",
                )
                .at(span)
                .field(format!("{field}.healthcheck"))
                .help(format!("give `test:`, or set `probes:` {at}")),
            );
            return no_probes();
        }
    };
    let interval = healthcheck.interval.unwrap_or(DEFAULT_INTERVAL);
    let period = seconds(interval);
    let timeout = seconds(healthcheck.timeout.unwrap_or(DEFAULT_TIMEOUT));
    let failures = healthcheck.retries.unwrap_or(DEFAULT_RETRIES).max(1);
    let probe = |period: i32, failures: u32| Probe {
        action: ProbeAction::Exec {
            command: command.clone(),
        },
        initial_delay_seconds: None,
        period_seconds: Some(period),
        timeout_seconds: Some(timeout),
        success_threshold: None,
        failure_threshold: Some(i32::try_from(failures).unwrap_or(i32::MAX)),
    };
    // Docker ignores failures during `start_period`, then counts `retries` of them at
    // `interval`: the startup probe gives up only after both, polling every `start_interval`.
    let startup = healthcheck
        .start_period
        .filter(|p| !p.is_zero())
        .map(|start_period| {
            let every = seconds(healthcheck.start_interval.unwrap_or(interval));
            let every_ms = u128::from(every.unsigned_abs()) * 1000;
            let allowed = start_period.as_millis()
                + u128::from(failures) * u128::from(period.unsigned_abs()) * 1000;
            let tries = allowed.div_ceil(every_ms).max(1);
            probe(every, u32::try_from(tries).unwrap_or(u32::MAX))
        });
    LoweredProbes {
        startup,
        readiness: Some(probe(period, failures)),
        liveness: Some(probe(period, failures)),
    }
}

/// Whole seconds, rounded up, at least 1 (the smallest probe period Kubernetes takes).
pub fn seconds(duration: Duration) -> i32 {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    i32::try_from(secs.max(1)).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_period_allows_it_and_the_retries() {
        let healthcheck = Healthcheck {
            test: Some(crate::yaml::Spanned::builtin(HealthTest::Cmd(vec![
                "true".to_string(),
            ]))),
            interval: Some(Duration::from_secs(10)),
            start_period: Some(Duration::from_secs(10)),
            ..Healthcheck::default()
        };
        let probes = healthcheck_probes(
            &healthcheck,
            crate::diagnostic::Span::new(crate::diagnostic::FileId::builtin(), 0, 0),
            "f",
            "",
            &mut Diagnostics::new(),
        );
        let startup = probes.startup.unwrap();
        // 10s of start period + 3 retries × 10s, polled every 10s.
        assert_eq!(
            (startup.period_seconds, startup.failure_threshold),
            (Some(10), Some(4))
        );
        assert_eq!(probes.liveness.unwrap().failure_threshold, Some(3));
    }

    #[test]
    fn durations_round_up_to_whole_seconds() {
        assert_eq!(seconds(Duration::from_secs(90)), 90);
        assert_eq!(seconds(Duration::from_millis(1500)), 2);
        assert_eq!(seconds(Duration::from_millis(0)), 1);
    }
}
