//! The carried k3sfn runtime unpacked for `k3s fn run`: one directory per runtime version under
//! the user's cache, named after a hash of its contents, written once into a staging directory
//! and renamed into place so a concurrent run never sees half a package.

use std::io;
use std::path::{Path, PathBuf};

use crate::runtime_package::{FILES, REQUIREMENTS};

/// Every file of the unpacked directory: the package and its pinned requirements.
fn files() -> impl Iterator<Item = (&'static str, &'static str)> {
    FILES
        .iter()
        .map(|f| (f.path, f.content))
        .chain([("requirements.txt", REQUIREMENTS)])
}

/// FNV-1a over paths and contents: a new runtime gets a new directory.
fn content_hash() -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (path, content) in files() {
        for byte in path.bytes().chain([0]).chain(content.bytes()).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// `<cache>/k3s/k3sfn-<hash>`, unpacked there unless an earlier run did.
pub fn unpack_runtime(cache: &Path) -> io::Result<PathBuf> {
    let hash = content_hash();
    let dir = cache.join("k3s").join(format!("k3sfn-{hash:016x}"));
    let complete = |dir: &Path| dir.join("k3sfn/__init__.py").is_file();
    if complete(&dir) {
        return Ok(dir);
    }
    let staging = cache
        .join("k3s")
        .join(format!(".k3sfn-{hash:016x}-{}", std::process::id()));
    let write = || -> io::Result<()> {
        for (path, content) in files() {
            let target = staging.join(path);
            std::fs::create_dir_all(target.parent().expect("files are in a directory"))?;
            std::fs::write(target, content)?;
        }
        match std::fs::rename(&staging, &dir) {
            // Another run wrote it first: theirs is the same.
            Err(_) if complete(&dir) => std::fs::remove_dir_all(&staging),
            other => other,
        }
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&staging);
    })?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpacks_once_and_reuses_the_directory() {
        let cache = tempfile::tempdir().unwrap();
        let dir = unpack_runtime(cache.path()).unwrap();
        assert!(dir.join("k3sfn/runtime/http.py").is_file());
        assert_eq!(
            std::fs::read_to_string(dir.join("requirements.txt")).unwrap(),
            REQUIREMENTS
        );
        std::fs::write(dir.join("marker"), "kept").unwrap();
        assert_eq!(unpack_runtime(cache.path()).unwrap(), dir);
        assert!(
            dir.join("marker").is_file(),
            "a second run rewrote the directory"
        );
        let leftovers: Vec<_> = std::fs::read_dir(cache.path().join("k3s"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "staging left behind: {leftovers:?}");
    }
}
