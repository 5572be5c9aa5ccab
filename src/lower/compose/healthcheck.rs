//! `healthcheck` → readiness and liveness exec probes (`CMD` as argv, `CMD-SHELL` under
//! `sh -c`), `start_period` → a startup probe; durations in whole seconds, rounded up.

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
    let startup = healthcheck
        .start_period
        .filter(|p| !p.is_zero())
        .map(|start_period| {
            let every = seconds(healthcheck.start_interval.unwrap_or(interval));
            let every_ms = u128::from(every.unsigned_abs()) * 1000;
            let tries = start_period.as_millis().div_ceil(every_ms).max(1);
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
    fn durations_round_up_to_whole_seconds() {
        assert_eq!(seconds(Duration::from_secs(90)), 90);
        assert_eq!(seconds(Duration::from_millis(1500)), 2);
        assert_eq!(seconds(Duration::from_millis(0)), 1);
    }
}
