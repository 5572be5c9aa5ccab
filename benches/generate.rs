//! Wall time and peak memory of the release `k3s` binary on generated apps.yaml files of 10,
//! 100, 1,000 and 5,000 apps × 3 environments, and on the repository's own apps.yaml.
//! Run with `cargo bench`; figures are the best of several runs, because a shared 2-core machine
//! adds noise of tens of percent to any single run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const SIZES: [usize; 4] = [10, 100, 1_000, 5_000];
const RUNS: usize = 11;

fn main() {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_k3s"));
    let scratch = std::env::temp_dir().join(format!("k3s-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("a scratch directory");

    println!("{:<34} {:>10} {:>12}", "case", "wall (ms)", "peak (MiB)");
    let top = Path::new(env!("CARGO_MANIFEST_DIR")).join("apps.yaml");
    let top_out = scratch.join("top-out");
    let (time, memory) = measure(
        &binary,
        &top,
        &["generate", "--output-dir", top_out.to_str().unwrap()],
    );
    report("apps.yaml (repo), generate all", time, memory);
    check(
        "repository apps.yaml, all envs < 10 ms",
        time < Duration::from_millis(10),
    );

    let mut generate_times = Vec::new();
    for size in SIZES {
        let dir = scratch.join(format!("apps-{size}"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("apps.yaml");
        std::fs::write(&file, apps_yaml(size)).unwrap();
        let (validate_time, validate_memory) = measure(&binary, &file, &["validate"]);
        report(
            &format!("{size} apps × 3 envs, validate"),
            validate_time,
            validate_memory,
        );
        let out = dir.join("out");
        let (time, memory) = measure(
            &binary,
            &file,
            &["generate", "--output-dir", out.to_str().unwrap()],
        );
        report(&format!("{size} apps × 3 envs, generate"), time, memory);
        generate_times.push((size, time));
        if size == 1_000 {
            check(
                "1,000 apps validate < 100 ms",
                validate_time < Duration::from_millis(100),
            );
            check(
                "1,000 apps × 3 envs generate < 300 ms",
                time < Duration::from_millis(300),
            );
            check(
                "1,000 apps × 3 envs generate < 100 MB",
                memory.unwrap_or(0) < 100 * 1024,
            );
        }
    }
    let per_app: Vec<String> = generate_times
        .iter()
        .map(|(size, time)| {
            format!(
                "{size}: {:.1} µs/app",
                time.as_secs_f64() * 1e6 / *size as f64
            )
        })
        .collect();
    println!("cost per app: {}", per_app.join(", "));
    let (_, t1000) = generate_times[2];
    let (_, t5000) = generate_times[3];
    let ratio = t5000.as_secs_f64() / t1000.as_secs_f64();
    println!("5,000 / 1,000 apps time ratio: {ratio:.2} (linear: 5.0)");
    check(
        "cost linear in apps (ratio 5,000/1,000 below 6.5)",
        ratio < 6.5,
    );
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Best wall time of `RUNS` runs, and the highest peak resident memory (KiB) the binary reports.
fn measure(binary: &Path, file: &Path, args: &[&str]) -> (Duration, Option<u64>) {
    let mut best = Duration::MAX;
    let mut memory = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let output = Command::new(binary)
            .arg("-f")
            .arg(file)
            .args(args)
            .env("K3S_REPORT_PEAK_MEMORY", "1")
            .output()
            .expect("k3s runs");
        let elapsed = start.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "k3s {args:?} failed:\n{stderr}");
        best = best.min(elapsed);
        let peak = stderr
            .lines()
            .find_map(|l| l.strip_prefix("peak-memory-kib: "))
            .and_then(|v| v.trim().parse::<u64>().ok());
        memory = memory.max(peak);
    }
    (best, memory)
}

fn report(case: &str, time: Duration, memory: Option<u64>) {
    let memory = memory.map_or("?".to_string(), |kib| format!("{:.1}", kib as f64 / 1024.0));
    println!("{case:<34} {:>10.2} {memory:>12}", time.as_secs_f64() * 1e3);
}

fn check(target: &str, met: bool) {
    println!("  target {target}: {}", if met { "met" } else { "MISSED" });
}

/// A realistic apps.yaml: every app has ports, probes, resources, environment, an override per
/// environment; a third each scale by HPA, keda-http (with ingress) and not at all.
fn apps_yaml(apps: usize) -> String {
    let mut text = String::from(
        "version: \"2\"\n\
         defaults:\n  namespace: apps\n  registry: {local: registry.localhost:5111, dev: registry.localhost:5111, gcp: gcr.io/bench}\n  ingress: {local: traefik, dev: traefik, gcp: haproxy}\n\
         environments:\n  local: {domain: localhost}\n  dev: {domain: dev.example.com}\n  gcp: {domain: example.com, tls: true, tls_secret: wildcard}\n\
         argocd:\n  repo_url: https://git.example.com/platform.git\n\
         apps:\n",
    );
    for i in 0..apps {
        let scaling = match i % 3 {
            0 => {
                "    scaling: {type: hpa, min_instances: 2, max_instances: 6, target_cpu_percent: 70}\n"
            }
            1 => "    scaling: {type: keda-http, min_instances: 0, max_instances: 10}\n",
            _ => "    replicas: 2\n",
        };
        let ingress = if i % 3 == 1 {
            format!(
                "    ingress: {{path: /svc-{i}, strip_prefix: false}}\n    visibility: public\n"
            )
        } else {
            String::new()
        };
        text.push_str(&format!(
            "  - name: svc-{i}\n    image: ghcr.io/example/svc:1.{i}\n    container:\n      ports:\n        - {{container_port: 8080, service_port: 80}}\n        - {{name: metrics, container_port: 9090}}\n    resources: {{memory: 256Mi, cpu: 100m, memory_limit: 512Mi}}\n    probes:\n      readiness: {{path: /ready}}\n      liveness: {{path: /live, period: 10}}\n    environment: {{LOG_LEVEL: info, SERVICE_INDEX: {i}}}\n{scaling}{ingress}    gcp:\n      resources: {{memory: 512Mi}}\n      environment: {{LOG_LEVEL: warn}}\n"
        ));
    }
    text
}
