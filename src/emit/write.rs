//! Writing one environment directory atomically: the new directory is built beside the old one
//! (hand-written files copied in, generated files written, stale generated files left out),
//! then swapped in with two renames. An unchanged tree is not touched at all.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::tree::{GENERATED_MARKER, Tree, is_parser_directive};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    pub written: Vec<PathBuf>,
    pub pruned: Vec<PathBuf>,
    pub unchanged: bool,
}

/// Replaces the generated files of `root/<env>` with `tree`.
pub fn write_environment(root: &Path, env: &str, tree: &Tree) -> io::Result<WriteOutcome> {
    let target = root.join(env);
    let difference = compare_with_disk(&target, tree)?;
    let outcome = WriteOutcome {
        unchanged: difference.is_empty(),
        written: difference.changed,
        pruned: difference.removed,
    };
    if outcome.unchanged {
        return Ok(outcome);
    }
    fs::create_dir_all(root)?;
    let staging = root.join(format!(".{env}.k3s-new-{}", std::process::id()));
    let backup = root.join(format!(".{env}.k3s-old-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let built = build_staging(&target, &staging, tree);
    if let Err(e) = built {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    swap(&target, &staging, &backup)?;
    Ok(outcome)
}

/// The new directory: everything hand-written from the old one, plus the generated files.
fn build_staging(target: &Path, staging: &Path, tree: &Tree) -> io::Result<()> {
    fs::create_dir_all(staging)?;
    if target.is_dir() {
        copy_hand_written(target, staging, Path::new(""))?;
    }
    for (path, text) in &tree.files {
        let destination = staging.join(path);
        if let Some(parent) = destination.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(destination, text)?;
    }
    Ok(())
}

fn swap(target: &Path, staging: &Path, backup: &Path) -> io::Result<()> {
    if target.exists() {
        let _ = fs::remove_dir_all(backup);
        fs::rename(target, backup)?;
        if let Err(e) = fs::rename(staging, target) {
            // Put the previous tree back before reporting.
            let _ = fs::rename(backup, target);
            let _ = fs::remove_dir_all(staging);
            return Err(e);
        }
        fs::remove_dir_all(backup)?;
    } else {
        fs::rename(staging, target)?;
    }
    Ok(())
}

fn copy_hand_written(from: &Path, to: &Path, relative: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from.join(relative))? {
        let entry = entry?;
        let path = relative.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            fs::create_dir_all(to.join(&path))?;
            copy_hand_written(from, to, &path)?;
        } else if kind.is_symlink() {
            let link = fs::read_link(entry.path())?;
            symlink(&link, &to.join(&path))?;
        } else if !is_generated(&entry.path()) {
            fs::copy(entry.path(), to.join(&path))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(link: &Path, at: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(link, at)
}

#[cfg(not(unix))]
fn symlink(link: &Path, at: &Path) -> io::Result<()> {
    fs::copy(link, at).map(|_| ())
}

/// Whether a file starts with the generated-file header (only its first bytes are read).
pub fn is_generated(path: &Path) -> bool {
    let mut head = [0u8; 256];
    let read = fs::File::open(path).and_then(|mut f| {
        use std::io::Read;
        f.read(&mut head)
    });
    read.is_ok_and(|n| has_header(&String::from_utf8_lossy(&head[..n])))
}

fn has_header(text: &str) -> bool {
    text.lines()
        .find(|line| !is_parser_directive(line))
        .is_some_and(|line| line.starts_with('#') && line.contains(GENERATED_MARKER))
}

/// How the files on disk differ from a tree.
#[derive(Debug, Default)]
pub struct Difference {
    /// Files of the tree that are missing or different on disk.
    pub changed: Vec<PathBuf>,
    /// Generated files on disk that the tree no longer has.
    pub removed: Vec<PathBuf>,
}

impl Difference {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Compares `dir` with `tree`, reading one file at a time: a file the tree has is compared
/// whole; any other is only checked for the generated-file header (to be pruned).
pub fn compare_with_disk(dir: &Path, tree: &Tree) -> io::Result<Difference> {
    let mut difference = Difference::default();
    let mut seen = BTreeSet::new();
    if dir.is_dir() {
        walk(dir, Path::new(""), tree, &mut seen, &mut difference)?;
    }
    difference.changed.extend(
        tree.files
            .keys()
            .filter(|path| !seen.contains(*path))
            .cloned(),
    );
    difference.changed.sort();
    difference.removed.sort();
    Ok(difference)
}

fn walk(
    root: &Path,
    relative: &Path,
    tree: &Tree,
    seen: &mut BTreeSet<PathBuf>,
    difference: &mut Difference,
) -> io::Result<()> {
    for entry in fs::read_dir(root.join(relative))? {
        let entry = entry?;
        let path = relative.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(root, &path, tree, seen, difference)?;
        } else if !kind.is_file() {
            continue;
        } else if let Some(text) = tree.files.get(&path) {
            if fs::read(entry.path())? != text.as_bytes() {
                difference.changed.push(path.clone());
            }
            seen.insert(path);
        } else if is_generated(&entry.path()) {
            difference.removed.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::header;

    fn tree(files: &[(&str, &str)]) -> Tree {
        let mut tree = Tree::new();
        for (path, body) in files {
            tree.insert(*path, format!("{}{body}", header("dev")));
        }
        tree
    }

    #[test]
    fn writes_then_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let t = tree(&[("apps/web/manifests.yaml", "a: 1\n")]);
        let first = write_environment(dir.path(), "dev", &t).unwrap();
        assert_eq!(first.written, [PathBuf::from("apps/web/manifests.yaml")]);
        let second = write_environment(dir.path(), "dev", &t).unwrap();
        assert!(second.unchanged);
    }

    #[test]
    fn prunes_stale_generated_files_and_keeps_hand_written_ones() {
        let dir = tempfile::tempdir().unwrap();
        write_environment(
            dir.path(),
            "dev",
            &tree(&[
                ("apps/web/manifests.yaml", "a: 1\n"),
                ("apps/old/manifests.yaml", "b\n"),
            ]),
        )
        .unwrap();
        let notes = dir.path().join("dev/apps/old/NOTES.md");
        fs::write(&notes, "kept\n").unwrap();
        let outcome = write_environment(
            dir.path(),
            "dev",
            &tree(&[("apps/web/manifests.yaml", "a: 1\n")]),
        )
        .unwrap();
        assert_eq!(outcome.pruned, [PathBuf::from("apps/old/manifests.yaml")]);
        assert!(!dir.path().join("dev/apps/old/manifests.yaml").exists());
        assert_eq!(fs::read_to_string(&notes).unwrap(), "kept\n");
        assert!(dir.path().join("dev/apps/web/manifests.yaml").exists());
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["dev"]);
    }

    #[test]
    fn a_generated_dockerfile_is_ours_behind_its_syntax_directive() {
        let ours =
            super::super::tree::with_header("dev", "# syntax=docker/dockerfile:1.7\nFROM x\n");
        assert!(has_header(&ours));
        assert!(!has_header("# syntax=docker/dockerfile:1.7\nFROM x\n"));
        assert!(!has_header(
            "# syntax=docker/dockerfile:1.7\n# hand-written\n"
        ));
    }

    #[test]
    fn a_hand_written_file_at_a_generated_path_is_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("dev")).unwrap();
        fs::write(dir.path().join("dev/README.md"), "mine\n").unwrap();
        assert!(!is_generated(&dir.path().join("dev/README.md")));
        write_environment(dir.path(), "dev", &tree(&[("x.yaml", "x\n")])).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("dev/README.md")).unwrap(),
            "mine\n"
        );
    }
}
