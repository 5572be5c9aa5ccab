//! Replays the fuzz corpus through the fuzz targets' own entry points (`fuzz/entry.rs`), so
//! `cargo test` (and CI) runs every seed and every input fuzzing ever found on stable Rust,
//! without cargo-fuzz: the seeds are the repository's own inputs (apps.yaml files, compose
//! files, the compose-go corpus, Python functions); `fuzz/corpus/<target>/` holds the inputs
//! that once crashed or hung k3s.

#[path = "../fuzz/entry.rs"]
mod entry;

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Files below `dir` (recursively) whose name satisfies `keep`, sorted.
fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(path);
            } else if keep(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn named(names: &'static [&'static str]) -> impl Fn(&Path) -> bool {
    move |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| names.contains(&n))
    }
}

fn extension(extensions: &'static [&'static str]) -> impl Fn(&Path) -> bool {
    move |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
    }
}

fn any(_: &Path) -> bool {
    true
}

fn replay(target: &str, seeds: Vec<PathBuf>, run: fn(&[u8])) {
    let mut inputs = seeds;
    inputs.extend(files(&root().join("fuzz/corpus").join(target), &any));
    assert!(!inputs.is_empty(), "no corpus for {target}");
    for input in &inputs {
        let data = std::fs::read(input).unwrap();
        // A panic names the input; the fuzz target would report the same one.
        let result = std::panic::catch_unwind(|| run(&data));
        assert!(result.is_ok(), "{target}: {} panicked", input.display());
    }
    eprintln!("{target}: {} inputs replayed", inputs.len());
}

#[test]
fn apps_yaml_corpus_replays() {
    let mut seeds = files(&root().join("examples"), &named(&["apps.yaml"]));
    seeds.push(root().join("apps.yaml"));
    replay("apps_yaml", seeds, entry::apps_yaml);
}

#[test]
fn compose_corpus_replays() {
    let mut seeds = files(
        &root().join("tests/fixtures/compose-go"),
        &extension(&["yaml", "yml"]),
    );
    seeds.extend(files(
        &root().join("examples"),
        &named(&["compose.yaml", "compose.yml", "docker-compose.yml"]),
    ));
    replay("compose", seeds, entry::compose);
}

#[test]
fn python_corpus_replays() {
    let mut seeds = files(&root().join("examples"), &extension(&["py"]));
    seeds.extend(files(&root().join("platform"), &extension(&["py"])));
    replay("python", seeds, entry::python);
}

/// Tokens that make a mutated input interesting to a YAML, compose or Python reader.
const DICTIONARY: &[&[u8]] = &[
    b"${",
    b"}",
    b"${A:-",
    b"${A:?x}",
    b"$$",
    b"{",
    b"[",
    b"]",
    b":",
    b": ",
    b"\n",
    b"\n  ",
    b"\n    - ",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"\"",
    b"'",
    b"#",
    b"- ",
    b"!!str ",
    b"---\n",
    b"~",
    b"null",
    b"0x",
    b"-1",
    b"99999999999999999999",
    b"\t",
    b"\\",
    b"\xef\xbb\xbf",
    b"\xff",
    b"@serverless(",
    b"@http_trigger(path=",
    b")",
    b"(",
    b"**",
    b"lambda: ",
    b"extends:",
    b"include:",
    b"../",
    b"/etc/passwd",
    b"environments:",
    b"apps:",
];

/// A small deterministic generator (xorshift64*): the same seed gives the same run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four edits of `data`: flip a byte, insert a dictionary token, delete, duplicate or
/// splice in a range of another seed.
fn mutate(rng: &mut Rng, data: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let token = DICTIONARY[rng.below(DICTIONARY.len())];
                out.splice(at..at, token.iter().copied());
            }
            2 => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
            3 => {
                let end = (at + rng.below(256)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
            _ if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + rng.below(512)).min(other.len());
                out.splice(at..at, other[from..end].iter().copied());
            }
            _ => {}
        }
    }
    out
}

/// A fuzz target: its corpus name, its seeds and its entry point.
type Target = (&'static str, Vec<PathBuf>, fn(&[u8]));

/// Mutation fuzzing on stable Rust (`scripts/fuzz`; cargo-fuzz needs nightly): K3S_FUZZ_RUNS
/// mutated seeds per target (default 2,000) through the same entry points as the replay. A
/// panic saves the input under `fuzz/corpus/<target>/`, so the replay keeps it from then on.
#[test]
#[ignore = "long; run by scripts/fuzz"]
fn mutated_seeds_never_panic() {
    let runs: usize = std::env::var("K3S_FUZZ_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let targets: [Target; 3] = [
        (
            "apps_yaml",
            files(&root().join("examples"), &named(&["apps.yaml"])),
            entry::apps_yaml,
        ),
        (
            "compose",
            files(
                &root().join("tests/fixtures/compose-go"),
                &extension(&["yaml", "yml"]),
            ),
            entry::compose,
        ),
        (
            "python",
            files(&root().join("examples"), &extension(&["py"])),
            entry::python,
        ),
    ];
    let mut rng = Rng(0x6b33_735f_6675_7a7a);
    for (target, seeds, run) in targets {
        let seeds: Vec<Vec<u8>> = seeds.iter().map(|s| std::fs::read(s).unwrap()).collect();
        let start = std::time::Instant::now();
        let mut slowest = std::time::Duration::ZERO;
        for _ in 0..runs {
            let data = &seeds[rng.below(seeds.len())];
            let other = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, data, other);
            let one = std::time::Instant::now();
            if std::panic::catch_unwind(|| run(&input)).is_err() {
                let dir = root().join("fuzz/corpus").join(target);
                std::fs::create_dir_all(&dir).unwrap();
                let name = format!("crash-{:016x}", rng.next());
                std::fs::write(dir.join(&name), &input).unwrap();
                panic!("{target}: a mutated input panicked; saved as fuzz/corpus/{target}/{name}");
            }
            slowest = slowest.max(one.elapsed());
        }
        eprintln!(
            "{target}: {runs} mutated inputs, no panic, {:.1} s, slowest {} ms",
            start.elapsed().as_secs_f64(),
            slowest.as_millis()
        );
    }
}
