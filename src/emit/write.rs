//! Writing the output tree, so that every state a run can leave — finished, failed, or killed at
//! any moment — is all environments old or all new.
//!
//! `write_environments`: every changed environment's new directory is staged in
//! `<root>/.k3s-staging/` (hand-written files hard-linked in, generated files written, stale
//! generated files and the directories they leave empty left out; environments no longer
//! declared staged without their generated files). Only when all are staged is a journal
//! written (the commit point); then every environment is swapped in by two renames. A failure
//! before the journal removes the staging directory and changes nothing visible; the next run
//! finishes a journalled swap that was killed half-way, and removes staging that never got one
//! (`recover`). Runs on one output directory take turns (a lock on it).
//!
//! `write_files`: a single entry's files, each replaced by a rename (`k3s app generate -o DIR`).
//!
//! Both refuse a symbolic link anywhere they would read or write, and a file they would replace
//! whose first line is not exactly the header k3s writes. They never write through, or copy, a
//! link; files holding Secret data are created 0600 (umask cannot widen that).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::tree::{Owner, Tree, is_parser_directive};
use crate::diagnostic::{Code, Diagnostic, display_path};

/// Where `write_environments` stages, beside the environments it replaces.
pub const STAGING_DIR: &str = ".k3s-staging";
const OWNER_FILE: &str = "OWNER";
const OWNER_TEXT: &str = "k3s staging directory: k3s removes it; nothing here is yours\n";
const JOURNAL: &str = "journal";
const JOURNAL_HEAD: &str = "k3s journal 1";

/// What happened to one environment directory.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    pub written: Vec<PathBuf>,
    pub pruned: Vec<PathBuf>,
    pub unchanged: bool,
    /// An environment apps.yaml no longer declares: its generated files were pruned.
    pub undeclared: bool,
}

/// Why nothing (or, for `write_files`, not everything) was written.
#[derive(Debug)]
pub enum EmitError {
    Io {
        path: PathBuf,
        error: io::Error,
    },
    Symlink {
        path: PathBuf,
        target: PathBuf,
    },
    NotGenerated {
        path: PathBuf,
        header: String,
    },
    /// A path k3s must use as a file is a directory, or the other way round.
    InTheWay {
        path: PathBuf,
        wanted: &'static str,
    },
    ForeignStaging {
        path: PathBuf,
    },
}

impl EmitError {
    pub fn to_diagnostic(&self) -> Diagnostic {
        let shown = |p: &Path| display_path(p).display().to_string();
        match self {
            EmitError::Io { path, error } => {
                Diagnostic::error(Code::Io, format!("{}: {error}", shown(path)))
            }
            EmitError::Symlink { path, target } => Diagnostic::error(
                Code::OutputSymlink,
                format!(
                    "{}: is a symbolic link (to {}); k3s neither writes through nor copies links \
                     in its output tree",
                    shown(path),
                    target.display()
                ),
            )
            .help("replace it with the file or directory itself, or remove it"),
            EmitError::NotGenerated { path, header } => Diagnostic::error(
                Code::NotGenerated,
                format!(
                    "{}: was not written by k3s (its first line is not k3s's header \"{header}\"); \
                     k3s does not overwrite it",
                    shown(path)
                ),
            )
            .help("move it away, or delete it to let k3s write its file there"),
            EmitError::InTheWay { path, wanted } => Diagnostic::error(
                Code::NotGenerated,
                format!(
                    "{}: k3s writes a {wanted} here, and something else is in the way",
                    shown(path)
                ),
            ),
            EmitError::ForeignStaging { path } => Diagnostic::error(
                Code::ForeignStaging,
                format!(
                    "{}: has the name of k3s's staging directory but not its content; k3s does \
                     not remove it",
                    shown(path)
                ),
            )
            .help("look at what it holds and remove it by hand"),
        }
    }
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_diagnostic().message)
    }
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> EmitError + '_ {
    move |error| EmitError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// How an environment directory on disk differs from its tree.
#[derive(Debug, Default)]
pub struct Difference {
    /// Files of the tree that are missing or different on disk (content, or a Secret's mode).
    pub changed: Vec<PathBuf>,
    /// Files on disk with the exact header that the tree no longer has.
    pub removed: Vec<PathBuf>,
    /// Hand-written files (anything without the header), carried into the new directory.
    kept: Vec<PathBuf>,
    /// Directories empty on disk (made by hand), kept.
    empty_dirs: Vec<PathBuf>,
}

impl Difference {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Compares `dir` with `tree` without following links: a file the tree has is compared whole;
/// any other is only checked for the header (to be pruned). Directories are walked with a
/// work list, not recursion.
pub fn compare_with_disk(dir: &Path, tree: &Tree) -> Result<Difference, EmitError> {
    let mut difference = Difference::default();
    let mut seen = BTreeSet::new();
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(symlink(dir)),
        Ok(meta) if !meta.is_dir() => {
            return Err(EmitError::InTheWay {
                path: dir.to_path_buf(),
                wanted: "directory",
            });
        }
        Ok(_) => walk(dir, tree, &mut seen, &mut difference)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(at(dir)(e)),
    }
    difference.changed.extend(
        tree.files
            .keys()
            .filter(|path| !seen.contains(*path))
            .cloned(),
    );
    // A hand-written file where the tree needs a directory.
    let kept: HashSet<&Path> = difference.kept.iter().map(PathBuf::as_path).collect();
    for path in &difference.changed {
        if let Some(blocking) = path.ancestors().skip(1).find(|a| kept.contains(a)) {
            return Err(EmitError::InTheWay {
                path: dir.join(blocking),
                wanted: "directory",
            });
        }
    }
    difference.changed.sort();
    difference.removed.sort();
    Ok(difference)
}

fn walk(
    root: &Path,
    tree: &Tree,
    seen: &mut BTreeSet<PathBuf>,
    difference: &mut Difference,
) -> Result<(), EmitError> {
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let full = root.join(&relative);
        let mut empty = true;
        for entry in fs::read_dir(&full).map_err(at(&full))? {
            empty = false;
            let entry = entry.map_err(at(&full))?;
            let path = relative.join(entry.file_name());
            let on_disk = entry.path();
            let kind = entry.file_type().map_err(at(&on_disk))?;
            if kind.is_symlink() {
                return Err(symlink(&on_disk));
            }
            if kind.is_dir() {
                if tree.files.contains_key(&path) {
                    return Err(EmitError::InTheWay {
                        path: on_disk,
                        wanted: "file",
                    });
                }
                pending.push(path);
                continue;
            }
            if let Some(text) = tree.files.get(&path) {
                seen.insert(path.clone());
                // One read serves both questions: is it unchanged, and (if not) is it ours.
                let content = if kind.is_file() {
                    Some(fs::read(&on_disk).map_err(at(&on_disk))?)
                } else {
                    None
                };
                let same = content.as_deref() == Some(text.as_bytes())
                    && (!tree.is_secret(&path) || private(&on_disk)?);
                if !same {
                    let head = content.as_deref().map(|c| &c[..c.len().min(HEAD_BYTES)]);
                    if !head.is_some_and(|head| owns_head(&tree.owner, head)) {
                        return Err(EmitError::NotGenerated {
                            path: on_disk,
                            header: first_line_k3s_writes(tree),
                        });
                    }
                    difference.changed.push(path);
                }
            } else if kind.is_file() && owns(&tree.owner, &on_disk)? {
                difference.removed.push(path);
            } else {
                difference.kept.push(path);
            }
        }
        if empty && !relative.as_os_str().is_empty() {
            difference.empty_dirs.push(relative);
        }
    }
    Ok(())
}

fn symlink(path: &Path) -> EmitError {
    EmitError::Symlink {
        path: path.to_path_buf(),
        target: fs::read_link(path).unwrap_or_default(),
    }
}

fn private(path: &Path) -> Result<bool, EmitError> {
    let meta = fs::symlink_metadata(path).map_err(at(path))?;
    Ok(meta.permissions().mode() & 0o077 == 0)
}

fn first_line_k3s_writes(tree: &Tree) -> String {
    match &tree.owner {
        Owner::Line(line) => line.clone(),
        Owner::Convert => "# Generated by k3s compose convert from …".to_string(),
    }
}

/// How much of a file's start is read to find its header.
const HEAD_BYTES: usize = 1024;

/// Whether a regular file's first line marks it as `owner`'s (only its first bytes are read).
fn owns(owner: &Owner, path: &Path) -> Result<bool, EmitError> {
    let mut head = [0u8; HEAD_BYTES];
    let mut file = fs::File::open(path).map_err(at(path))?;
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(at(path)(e)),
        }
    }
    Ok(owns_head(owner, &head[..filled]))
}

/// Whether a file starting with `head` (its first [`HEAD_BYTES`] at most) is `owner`'s.
fn owns_head(owner: &Owner, head: &[u8]) -> bool {
    // Only complete lines count; a Dockerfile's parser directives (`# syntax=…`) must come
    // before the header, so they are skipped.
    let complete = head
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(&[][..], |end| &head[..end]);
    let Ok(text) = std::str::from_utf8(complete) else {
        return false;
    };
    text.split('\n')
        .find(|line| !is_parser_directive(line))
        .is_some_and(|line| owner.owns(line))
}

/// Whether a file is k3s's own for `env` (its first line, after any Dockerfile parser
/// directives, is exactly the header).
pub fn is_generated(path: &Path, env: &str) -> bool {
    owns(&Owner::environment(env), path).unwrap_or(false)
}

/// Environment directories under `root` that apps.yaml no longer declares: a real directory
/// (not a link, not hidden) whose top-level or entry manifests carry that environment's header.
pub fn undeclared_environments(root: &Path, declared: &[String]) -> Result<Vec<String>, EmitError> {
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(at(root)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(at(root))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') || declared.contains(&name) {
            continue;
        }
        if !entry.file_type().map_err(at(root))?.is_dir() {
            continue;
        }
        if looks_like_environment(&entry.path(), &name)? {
            found.push(name);
        }
    }
    found.sort();
    Ok(found)
}

fn looks_like_environment(dir: &Path, env: &str) -> Result<bool, EmitError> {
    let owner = Owner::environment(env);
    let regular = |p: &Path| fs::symlink_metadata(p).is_ok_and(|m| m.is_file());
    for name in [
        "kustomization.yaml",
        "project.yaml",
        "gateway/manifests.yaml",
    ] {
        let path = dir.join(name);
        if regular(&path) && owns(&owner, &path)? {
            return Ok(true);
        }
    }
    for section in ["apps", "serverless", "compose"] {
        let Ok(entries) = fs::read_dir(dir.join(section)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path().join("manifests.yaml");
            if entry.file_type().is_ok_and(|t| t.is_dir()) && regular(&path) && owns(&owner, &path)?
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// What `write_environments` did: each environment's outcome (in the order given, then the
/// undeclared ones') and notes on repairs of earlier interrupted runs.
#[derive(Debug)]
pub struct WriteReport {
    pub outcomes: Vec<(String, WriteOutcome)>,
    pub repairs: Vec<String>,
}

/// One environment of a write: its tree, or `None` for one no longer declared.
struct Planned<'a> {
    env: &'a str,
    tree: Option<&'a Tree>,
    difference: Difference,
}

/// Writes every environment's tree under `root`, all or nothing (see the module doc), and
/// prunes the generated files of environments not in `declared`.
pub fn write_environments(
    root: &Path,
    trees: &[(String, Tree)],
    declared: &[String],
) -> Result<WriteReport, EmitError> {
    fs::create_dir_all(root).map_err(at(root))?;
    let lock = fs::File::open(root).map_err(at(root))?;
    lock.lock().map_err(at(root))?;
    let repairs = recover(root)?;
    let mut known: Vec<String> = declared.to_vec();
    known.extend(trees.iter().map(|(env, _)| env.clone()));
    let undeclared = undeclared_environments(root, &known)?;
    let mut work: Vec<(&str, Option<&Tree>)> = trees
        .iter()
        .map(|(env, tree)| (env.as_str(), Some(tree)))
        .collect();
    work.extend(undeclared.iter().map(|env| (env.as_str(), None)));
    let compared = crate::pipeline::for_each_environment(&work, |(env, tree)| {
        let owned;
        let tree = match tree {
            Some(tree) => *tree,
            None => {
                owned = Tree::new(Owner::environment(env));
                &owned
            }
        };
        compare_with_disk(&root.join(env), tree)
    });
    let mut planned = Vec::new();
    for ((env, tree), difference) in work.iter().zip(compared) {
        planned.push(Planned {
            env,
            tree: *tree,
            difference: difference?,
        });
    }
    let outcomes = planned
        .iter()
        .map(|p| {
            let outcome = WriteOutcome {
                written: p.difference.changed.clone(),
                pruned: p.difference.removed.clone(),
                unchanged: p.difference.is_empty()
                    && (p.tree.is_none() || root.join(p.env).is_dir()),
                undeclared: p.tree.is_none(),
            };
            (p.env.to_string(), outcome)
        })
        .collect::<Vec<_>>();
    let changing: Vec<&Planned> = planned
        .iter()
        .zip(&outcomes)
        .filter(|(_, (_, outcome))| !outcome.unchanged)
        .map(|(p, _)| p)
        .collect();
    let outcomes = outcomes
        .into_iter()
        .filter(|(_, o)| !(o.undeclared && o.unchanged))
        .collect();
    if changing.is_empty() {
        return Ok(WriteReport { outcomes, repairs });
    }
    let staging = root.join(STAGING_DIR);
    if let Err(e) = stage_all(root, &staging, &changing) {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    swap_all(root, &staging, &changing)?;
    drop(lock);
    Ok(WriteReport { outcomes, repairs })
}

fn stage_all(root: &Path, staging: &Path, changing: &[&Planned]) -> Result<(), EmitError> {
    fs::create_dir(staging).map_err(at(staging))?;
    write_new(&staging.join(OWNER_FILE), OWNER_TEXT, false)?;
    let built = crate::pipeline::for_each_environment(changing, |p| stage(root, staging, p));
    built.into_iter().collect::<Result<Vec<()>, _>>()?;
    // The commit point: from here on the next run finishes the swap if this one is killed.
    let mut journal = format!("{JOURNAL_HEAD}\n");
    for p in changing {
        let verb = if stages_a_directory(p) {
            "swap"
        } else {
            "remove"
        };
        journal.push_str(&format!("{verb} {}\n", p.env));
    }
    let draft = staging.join(format!("{JOURNAL}.draft"));
    write_new(&draft, &journal, false)?;
    fs::rename(&draft, staging.join(JOURNAL)).map_err(at(&draft))
}

/// A declared environment always has a directory; an undeclared one keeps one only for what
/// was written by hand in it.
fn stages_a_directory(planned: &Planned) -> bool {
    let difference = &planned.difference;
    planned.tree.is_some() || !difference.kept.is_empty() || !difference.empty_dirs.is_empty()
}

/// The new directory of one environment: its hand-written files linked in, its tree written.
fn stage(root: &Path, staging: &Path, planned: &Planned) -> Result<(), EmitError> {
    let new = staging.join(format!("{}.new", planned.env));
    let difference = &planned.difference;
    if !stages_a_directory(planned) {
        return Ok(());
    }
    fs::create_dir(&new).map_err(at(&new))?;
    let old = root.join(planned.env);
    for dir in &difference.empty_dirs {
        let path = new.join(dir);
        fs::create_dir_all(&path).map_err(at(&path))?;
    }
    for path in &difference.kept {
        let to = new.join(path);
        make_parent(&to)?;
        let from = old.join(path);
        if let Err(e) = fs::hard_link(&from, &to) {
            // Copied only where a link is not allowed, and only regular files (a FIFO would
            // block the copy).
            if !fs::symlink_metadata(&from).is_ok_and(|m| m.is_file()) {
                return Err(at(&from)(e));
            }
            fs::copy(&from, &to).map_err(at(&from))?;
        }
    }
    if let Some(tree) = planned.tree {
        for (path, text) in &tree.files {
            let to = new.join(path);
            make_parent(&to)?;
            write_new(&to, text, tree.is_secret(path))?;
        }
    }
    Ok(())
}

fn make_parent(path: &Path) -> Result<(), EmitError> {
    match path.parent() {
        Some(parent) => fs::create_dir_all(parent).map_err(at(parent)),
        None => Ok(()),
    }
}

/// Creates a file that must not exist yet (never following a link), 0600 when it holds
/// Secret data, and writes it whole.
fn write_new(path: &Path, text: &str, secret: bool) -> Result<(), EmitError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if secret { 0o600 } else { 0o666 })
        .open(path)
        .map_err(at(path))?;
    file.write_all(text.as_bytes()).map_err(at(path))
}

/// Swaps every staged environment in, in journal order; on a failure, swaps back the ones done.
fn swap_all(root: &Path, staging: &Path, changing: &[&Planned]) -> Result<(), EmitError> {
    let journal = read_journal(staging)?;
    for (index, (verb, env)) in journal.iter().enumerate() {
        if let Err(e) = swap(root, staging, verb, env) {
            let undone = journal[..index]
                .iter()
                .rev()
                .all(|(verb, env)| unswap(root, staging, verb, env).is_ok())
                && unswap(root, staging, verb, env).is_ok();
            if undone {
                let _ = fs::remove_dir_all(staging);
            }
            return Err(e);
        }
    }
    debug_assert_eq!(journal.len(), changing.len());
    finish(staging, &journal)
}

fn swap(root: &Path, staging: &Path, verb: &str, env: &str) -> Result<(), EmitError> {
    let target = root.join(env);
    let new = staging.join(format!("{env}.new"));
    let old = staging.join(format!("{env}.old"));
    let exists = |p: &Path| fs::symlink_metadata(p).is_ok();
    let staged = exists(&new);
    if verb == "swap" && !staged {
        // Already swapped in (this is the next run finishing the job).
        return Ok(());
    }
    if exists(&target) && !exists(&old) {
        fs::rename(&target, &old).map_err(at(&target))?;
    }
    if staged {
        fs::rename(&new, &target).map_err(at(&new))?;
    }
    Ok(())
}

/// Undoes [`swap`] for one environment: the staged tree goes back, the old one returns.
fn unswap(root: &Path, staging: &Path, verb: &str, env: &str) -> io::Result<()> {
    let target = root.join(env);
    let new = staging.join(format!("{env}.new"));
    let old = staging.join(format!("{env}.old"));
    let exists = |p: &Path| fs::symlink_metadata(p).is_ok();
    if verb == "swap" && !exists(&new) && exists(&target) {
        fs::rename(&target, &new)?;
    }
    if exists(&old) && !exists(&target) {
        fs::rename(&old, &target)?;
    }
    Ok(())
}

/// After every swap: the old trees, then the journal, then the staging directory go.
fn finish(staging: &Path, journal: &[(String, String)]) -> Result<(), EmitError> {
    for (_, env) in journal {
        let old = staging.join(format!("{env}.old"));
        if fs::symlink_metadata(&old).is_ok() {
            fs::remove_dir_all(&old).map_err(at(&old))?;
        }
    }
    let path = staging.join(JOURNAL);
    fs::remove_file(&path).map_err(at(&path))?;
    fs::remove_dir_all(staging).map_err(at(staging))
}

fn read_journal(staging: &Path) -> Result<Vec<(String, String)>, EmitError> {
    let path = staging.join(JOURNAL);
    let text = fs::read_to_string(&path).map_err(at(&path))?;
    let mut lines = text.lines();
    let foreign = || EmitError::ForeignStaging {
        path: staging.to_path_buf(),
    };
    if lines.next() != Some(JOURNAL_HEAD) {
        return Err(foreign());
    }
    lines
        .map(|line| match line.split_once(' ') {
            Some((verb @ ("swap" | "remove"), env))
                if !env.is_empty() && !env.contains('/') && !env.starts_with('.') =>
            {
                Ok((verb.to_string(), env.to_string()))
            }
            _ => Err(foreign()),
        })
        .collect()
}

/// Repairs what an interrupted run left under `root`: finishes a journalled swap, removes
/// staging that never reached its journal, and handles the per-environment staging names of
/// earlier k3s versions (`.<env>.k3s-new-<pid>` removed, `.<env>.k3s-old-<pid>` put back when
/// its environment is missing). Only directories that are k3s's by name and content are touched.
/// Returns one note per repair.
pub fn recover(root: &Path) -> Result<Vec<String>, EmitError> {
    let mut notes = Vec::new();
    let staging = root.join(STAGING_DIR);
    match fs::symlink_metadata(&staging) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(at(&staging)(e)),
        Ok(meta) if !meta.is_dir() => return Err(EmitError::ForeignStaging { path: staging }),
        Ok(_) => {
            if !is_our_staging(&staging)? {
                return Err(EmitError::ForeignStaging { path: staging });
            }
            if fs::symlink_metadata(staging.join(JOURNAL)).is_ok() {
                let journal = read_journal(&staging)?;
                for (verb, env) in &journal {
                    swap(root, &staging, verb, env)?;
                }
                finish(&staging, &journal)?;
                notes.push(format!(
                    "finished the swap of an interrupted run in {}",
                    display_path(root).display()
                ));
            } else {
                fs::remove_dir_all(&staging).map_err(at(&staging))?;
                notes.push(format!(
                    "removed the staging of an interrupted run in {} (nothing of it was visible)",
                    display_path(root).display()
                ));
            }
        }
    }
    notes.extend(recover_legacy(root)?);
    Ok(notes)
}

fn is_our_staging(staging: &Path) -> Result<bool, EmitError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(staging).map_err(at(staging))? {
        let entry = entry.map_err(at(staging))?;
        names.push(entry.file_name());
    }
    if names.is_empty() {
        // Killed between creating it and writing its owner file.
        return Ok(true);
    }
    let owner = staging.join(OWNER_FILE);
    let is_file = fs::symlink_metadata(&owner).is_ok_and(|m| m.is_file());
    Ok(is_file && fs::read_to_string(&owner).is_ok_and(|text| text == OWNER_TEXT))
}

/// `.<env>.k3s-new-<pid>` and `.<env>.k3s-old-<pid>`, from k3s before the staging directory.
fn recover_legacy(root: &Path) -> Result<Vec<String>, EmitError> {
    let mut notes = Vec::new();
    let Ok(entries) = fs::read_dir(root) else {
        return Ok(notes);
    };
    let mut found: BTreeMap<String, (String, &'static str)> = BTreeMap::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        for kind in ["new", "old"] {
            let marker = format!(".k3s-{kind}-");
            let Some(rest) = name.strip_prefix('.') else {
                continue;
            };
            let Some((env, pid)) = rest.rsplit_once(&marker) else {
                continue;
            };
            if !env.is_empty() && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                let kind = if kind == "new" { "new" } else { "old" };
                found.insert(name.clone(), (env.to_string(), kind));
            }
        }
    }
    for (name, (env, kind)) in found {
        let path = root.join(&name);
        let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if !is_dir || !legacy_content_is_ours(&path, &env)? {
            return Err(EmitError::ForeignStaging { path });
        }
        let target = root.join(&env);
        if kind == "old" && fs::symlink_metadata(&target).is_err() {
            fs::rename(&path, &target).map_err(at(&path))?;
            notes.push(format!(
                "restored {} from an interrupted run",
                display_path(&target).display()
            ));
        } else {
            fs::remove_dir_all(&path).map_err(at(&path))?;
            notes.push(format!(
                "removed {} left by an interrupted run",
                display_path(&path).display()
            ));
        }
    }
    Ok(notes)
}

/// Empty, or holding a file with the environment's exact header, and no links.
fn legacy_content_is_ours(dir: &Path, env: &str) -> Result<bool, EmitError> {
    let owner = Owner::environment(env);
    let mut pending = vec![dir.to_path_buf()];
    let mut any_file = false;
    let mut own = false;
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current).map_err(at(&current))? {
            let entry = entry.map_err(at(&current))?;
            let kind = entry.file_type().map_err(at(&current))?;
            if kind.is_symlink() {
                return Ok(false);
            } else if kind.is_dir() {
                pending.push(entry.path());
            } else {
                any_file = true;
                own = own || (kind.is_file() && owns(&owner, &entry.path())?);
            }
        }
    }
    Ok(!any_file || own)
}

/// Writes one entry's files under `dir` (`k3s app generate -o DIR`): each checked first (no
/// link on the way, no file without the header in the way), then each replaced by a rename of
/// a file written beside it; an unchanged file is not touched. Returns the files written.
pub fn write_files(dir: &Path, tree: &Tree) -> Result<Vec<PathBuf>, EmitError> {
    let mut to_write = Vec::new();
    for (path, text) in &tree.files {
        let target = dir.join(path);
        let mut relative = PathBuf::new();
        for part in path.parent().into_iter().flat_map(Path::components) {
            relative.push(part);
            let on_disk = dir.join(&relative);
            match fs::symlink_metadata(&on_disk) {
                Ok(m) if m.file_type().is_symlink() => return Err(symlink(&on_disk)),
                Ok(m) if !m.is_dir() => {
                    return Err(EmitError::InTheWay {
                        path: on_disk,
                        wanted: "directory",
                    });
                }
                _ => {}
            }
        }
        match fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => return Err(symlink(&target)),
            Ok(m) if m.is_dir() => {
                return Err(EmitError::InTheWay {
                    path: target,
                    wanted: "file",
                });
            }
            Ok(m) => {
                let same = m.is_file()
                    && fs::read(&target).map_err(at(&target))? == text.as_bytes()
                    && (!tree.is_secret(path) || m.permissions().mode() & 0o077 == 0);
                if same {
                    continue;
                }
                if !m.is_file() || !owns(&tree.owner, &target)? {
                    return Err(EmitError::NotGenerated {
                        path: target,
                        header: first_line_k3s_writes(tree),
                    });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(at(&target)(e)),
        }
        to_write.push((path, text));
    }
    fs::create_dir_all(dir).map_err(at(dir))?;
    let mut written = Vec::new();
    for (path, text) in to_write {
        let target = dir.join(path);
        let mut made = dir.to_path_buf();
        for part in path.parent().into_iter().flat_map(Path::components) {
            made.push(part);
            match fs::create_dir(&made) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let meta = fs::symlink_metadata(&made).map_err(at(&made))?;
                    if meta.file_type().is_symlink() {
                        return Err(symlink(&made));
                    }
                }
                Err(e) => return Err(at(&made)(e)),
            }
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let parent = target.parent().unwrap_or(dir);
        remove_stale_drafts(parent, &name, &tree.owner);
        let draft = parent.join(format!(".{name}.k3s-tmp-{}", std::process::id()));
        let _ = fs::remove_file(&draft);
        let result = write_new(&draft, text, tree.is_secret(path))
            .and_then(|()| fs::rename(&draft, &target).map_err(at(&target)));
        if let Err(e) = result {
            let _ = fs::remove_file(&draft);
            return Err(e);
        }
        written.push(target);
    }
    Ok(written)
}

/// Drafts of `name` that a killed run left (`.<name>.k3s-tmp-<pid>` with the header).
fn remove_stale_drafts(dir: &Path, name: &str, owner: &Owner) {
    let prefix = format!(".{name}.k3s-tmp-");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let path = entry.path();
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if regular && pid.bytes().all(|b| b.is_ascii_digit()) && owns(owner, &path).unwrap_or(false)
        {
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::header;

    #[test]
    fn a_generated_dockerfile_is_ours_behind_its_syntax_directive() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("Dockerfile");
        let directive = "# syntax=docker/dockerfile:1.7\n";
        let owner = Owner::environment("dev");
        let ours = super::super::tree::with_header("dev", &format!("{directive}FROM x\n"));
        fs::write(&file, &ours).unwrap();
        assert!(owns(&owner, &file).unwrap());
        fs::write(&file, format!("{directive}FROM x\n")).unwrap();
        assert!(!owns(&owner, &file).unwrap());
        fs::write(
            &file,
            format!("{directive}# hand-written\n{}", header("dev")),
        )
        .unwrap();
        assert!(!owns(&owner, &file).unwrap());
    }

    /// The inode of a path, to check a file was linked, not copied.
    fn inode(path: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(path).unwrap().ino()
    }

    fn tree(files: &[(&str, &str)]) -> Tree {
        let mut tree = Tree::new(Owner::environment("dev"));
        for (path, body) in files {
            tree.insert(*path, format!("{}{body}", header("dev")));
        }
        tree
    }

    fn write(dir: &Path, t: &Tree) -> WriteOutcome {
        let WriteReport { mut outcomes, .. } =
            write_environments(dir, &[("dev".to_string(), t.clone())], &["dev".to_string()])
                .unwrap();
        outcomes.remove(0).1
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_then_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let t = tree(&[("apps/web/manifests.yaml", "a: 1\n")]);
        let first = write(dir.path(), &t);
        assert_eq!(first.written, [PathBuf::from("apps/web/manifests.yaml")]);
        let second = write(dir.path(), &t);
        assert!(second.unchanged);
        assert_eq!(names(dir.path()), ["dev"]);
    }

    #[test]
    fn prunes_stale_generated_files_and_the_directories_they_leave_empty() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &tree(&[
                ("apps/web/manifests.yaml", "a: 1\n"),
                ("apps/old/manifests.yaml", "b\n"),
                ("apps/gone/manifests.yaml", "c\n"),
            ]),
        );
        let notes = dir.path().join("dev/apps/old/NOTES.md");
        fs::write(&notes, "kept\n").unwrap();
        let inode_before = inode(&notes);
        fs::create_dir_all(dir.path().join("dev/hand/made")).unwrap();
        let outcome = write(dir.path(), &tree(&[("apps/web/manifests.yaml", "a: 1\n")]));
        assert_eq!(
            outcome.pruned,
            [
                PathBuf::from("apps/gone/manifests.yaml"),
                PathBuf::from("apps/old/manifests.yaml")
            ]
        );
        assert!(!dir.path().join("dev/apps/old/manifests.yaml").exists());
        assert!(!dir.path().join("dev/apps/gone").exists(), "emptied by k3s");
        assert!(dir.path().join("dev/hand/made").is_dir(), "empty by hand");
        assert_eq!(fs::read_to_string(&notes).unwrap(), "kept\n");
        assert_eq!(inode(&notes), inode_before, "hand-written files are linked");
        assert_eq!(names(dir.path()), ["dev"]);
    }

    #[test]
    fn only_the_exact_header_is_pruned_or_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("dev/apps/web")).unwrap();
        let lookalike = dir.path().join("dev/notes.yaml");
        fs::write(
            &lookalike,
            "# notes: Generated by k3s from apps.yaml once, then edited\n",
        )
        .unwrap();
        let other_env = dir.path().join("dev/local-copy.yaml");
        fs::write(&other_env, header("local")).unwrap();
        write(dir.path(), &tree(&[("x.yaml", "x\n")]));
        assert!(lookalike.exists() && other_env.exists());
        let mine = dir.path().join("dev/apps/web/manifests.yaml");
        fs::write(&mine, "kind: mine\n").unwrap();
        let error = write_environments(
            dir.path(),
            &[(
                "dev".to_string(),
                tree(&[("apps/web/manifests.yaml", "a\n")]),
            )],
            &["dev".to_string()],
        )
        .unwrap_err();
        assert!(matches!(&error, EmitError::NotGenerated { path, .. } if *path == mine));
        assert_eq!(fs::read_to_string(&mine).unwrap(), "kind: mine\n");
        assert!(!is_generated(&lookalike, "dev"));
    }

    #[test]
    fn symlinks_in_the_tree_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("file.txt");
        fs::write(&victim, "outside\n").unwrap();
        fs::create_dir_all(dir.path().join("dev/apps/web")).unwrap();
        let link = dir.path().join("dev/apps/web/manifests.yaml");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let t = tree(&[("apps/web/manifests.yaml", "a\n"), ("b.yaml", "b\n")]);
        let error = write_environments(dir.path(), &[("dev".to_string(), t)], &["dev".to_string()])
            .unwrap_err();
        assert!(matches!(&error, EmitError::Symlink { path, .. } if *path == link));
        assert_eq!(fs::read_to_string(&victim).unwrap(), "outside\n");
        assert!(!dir.path().join("dev/b.yaml").exists());
        assert_eq!(names(dir.path()), ["dev"]);
    }

    #[test]
    fn secret_files_are_private_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = tree(&[("apps/web/manifests.yaml", "a\n")]);
        t.insert_secret(
            "apps/db/manifests.yaml",
            format!("{}kind: Secret\n", header("dev")),
        );
        write(dir.path(), &t);
        let mode = |p: &str| {
            fs::metadata(dir.path().join("dev").join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("apps/db/manifests.yaml"), 0o600);
        assert_ne!(mode("apps/web/manifests.yaml") & 0o044, 0);
        // A secret file that was readable by others is rewritten private.
        let path = dir.path().join("dev/apps/db/manifests.yaml");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let outcome = write(dir.path(), &t);
        assert_eq!(outcome.written, [PathBuf::from("apps/db/manifests.yaml")]);
        assert_eq!(mode("apps/db/manifests.yaml"), 0o600);
    }

    #[test]
    fn undeclared_environments_lose_their_generated_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let both = |t: Tree| {
            vec![
                ("dev".to_string(), t.clone()),
                ("old".to_string(), {
                    let mut o = Tree::new(Owner::environment("old"));
                    for (p, body) in &t.files {
                        o.insert(p.clone(), body.replace("`dev`", "`old`"));
                    }
                    o
                }),
            ]
        };
        let t = tree(&[
            ("kustomization.yaml", "k\n"),
            ("applications/a.yaml", "a\n"),
        ]);
        write_environments(
            dir.path(),
            &both(t.clone()),
            &["dev".to_string(), "old".to_string()],
        )
        .unwrap();
        fs::write(dir.path().join("old/README.md"), "mine\n").unwrap();
        fs::create_dir_all(dir.path().join("notes")).unwrap();
        let WriteReport { outcomes, .. } =
            write_environments(dir.path(), &both(t)[..1], &["dev".to_string()]).unwrap();
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes[1].1.undeclared);
        assert_eq!(names(&dir.path().join("old")), ["README.md"]);
        fs::remove_file(dir.path().join("old/README.md")).unwrap();
        fs::write(dir.path().join("old/kustomization.yaml"), header("old")).unwrap();
        write_environments(
            dir.path(),
            &[("dev".to_string(), tree(&[("kustomization.yaml", "k\n")]))],
            &["dev".to_string()],
        )
        .unwrap();
        assert_eq!(names(dir.path()), ["dev", "notes"]);
    }

    #[test]
    fn a_failure_while_staging_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &tree(&[("a.yaml", "1\n")]));
        // A file where the staging directory goes makes staging fail after the comparison.
        let trees = [
            ("dev".to_string(), tree(&[("a.yaml", "2\n")])),
            ("gcp".to_string(), {
                let mut t = Tree::new(Owner::environment("gcp"));
                t.insert("a.yaml", format!("{}2\n", header("gcp")));
                t
            }),
        ];
        fs::write(dir.path().join(STAGING_DIR), "").unwrap();
        let error = write_environments(dir.path(), &trees, &[]).unwrap_err();
        assert!(matches!(error, EmitError::ForeignStaging { .. }));
        fs::remove_file(dir.path().join(STAGING_DIR)).unwrap();
        assert!(
            fs::read_to_string(dir.path().join("dev/a.yaml"))
                .unwrap()
                .ends_with("1\n")
        );
        assert!(!dir.path().join("gcp").exists());
    }

    #[test]
    fn the_next_run_finishes_a_journalled_swap_and_drops_an_unjournalled_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, &tree(&[("a.yaml", "1\n")]));
        // Killed after the journal and the first rename: `dev` is only in the staging.
        let staging = root.join(STAGING_DIR);
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join(OWNER_FILE), OWNER_TEXT).unwrap();
        fs::create_dir(staging.join("dev.new")).unwrap();
        fs::write(
            staging.join("dev.new/a.yaml"),
            format!("{}2\n", header("dev")),
        )
        .unwrap();
        fs::write(staging.join(JOURNAL), format!("{JOURNAL_HEAD}\nswap dev\n")).unwrap();
        fs::rename(root.join("dev"), staging.join("dev.old")).unwrap();
        let notes = recover(root).unwrap();
        assert_eq!(notes.len(), 1);
        assert!(
            fs::read_to_string(root.join("dev/a.yaml"))
                .unwrap()
                .ends_with("2\n")
        );
        assert_eq!(names(root), ["dev"]);
        // Killed while staging: nothing visible changed, and the staging goes.
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join(OWNER_FILE), OWNER_TEXT).unwrap();
        fs::create_dir(staging.join("dev.new")).unwrap();
        recover(root).unwrap();
        assert_eq!(names(root), ["dev"]);
        // Earlier versions' names: a half-swapped environment is put back.
        fs::rename(root.join("dev"), root.join(".dev.k3s-old-123")).unwrap();
        fs::create_dir(root.join(".dev.k3s-new-123")).unwrap();
        recover(root).unwrap();
        assert_eq!(names(root), ["dev"]);
        // Not k3s's by content: left alone, and said so.
        fs::create_dir(root.join(".x.k3s-new-1")).unwrap();
        fs::write(root.join(".x.k3s-new-1/data"), "mine\n").unwrap();
        assert!(matches!(
            recover(root),
            Err(EmitError::ForeignStaging { .. })
        ));
    }

    #[test]
    fn single_entry_files_are_replaced_by_rename_and_checked_first() {
        let dir = tempfile::tempdir().unwrap();
        let t = tree(&[("compose/shop/manifests.yaml", "a\n")]);
        assert_eq!(write_files(dir.path(), &t).unwrap().len(), 1);
        assert!(write_files(dir.path(), &t).unwrap().is_empty(), "unchanged");
        let target = dir.path().join("compose/shop/manifests.yaml");
        fs::write(&target, "mine\n").unwrap();
        let error = write_files(dir.path(), &t).unwrap_err();
        assert!(matches!(error, EmitError::NotGenerated { .. }));
        fs::remove_file(&target).unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::remove_dir(dir.path().join("compose/shop")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("compose/shop")).unwrap();
        let error = write_files(dir.path(), &t).unwrap_err();
        assert!(matches!(error, EmitError::Symlink { .. }));
        assert_eq!(names(outside.path()), Vec::<String>::new());
    }
}
