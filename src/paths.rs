//! Where a path really points: symlinks resolved component by component, and whether that lies
//! inside a directory. Every file k3s reads for a project is checked with it (no file is read
//! outside the project by way of `..`, an absolute path or a symlink).

use std::path::{Component, Path, PathBuf};

/// `Ok` when `path` lies inside `root` once symlinks are resolved (the longest existing prefix
/// of `path` is resolved, the rest taken by its components); else the resolved target.
pub fn resolve_inside(root: &Path, path: &Path) -> Result<(), PathBuf> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let target = resolve(path);
    if target.starts_with(&root) {
        Ok(())
    } else {
        Err(target)
    }
}

/// `path` as the file system sees it: each component in turn, symlinks resolved where it
/// exists, `..` applied to what it resolved to.
fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if let Ok(real) = out.canonicalize() {
                    out = real;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::resolve_inside;

    #[test]
    fn paths_are_inside_by_where_they_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        std::fs::create_dir_all(root.join("app")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("escape")).unwrap();
        assert!(resolve_inside(&root, &root.join("app")).is_ok());
        assert!(resolve_inside(&root, &root.join("app/../app/Dockerfile")).is_ok());
        assert!(resolve_inside(&root, &root.join("missing/x")).is_ok());
        assert_eq!(
            resolve_inside(&root, &root.join("../elsewhere")),
            Err(dir.path().canonicalize().unwrap().join("elsewhere"))
        );
        assert_eq!(
            resolve_inside(&root, &root.join("escape/passwd")),
            Err(std::path::PathBuf::from("/etc/passwd"))
        );
        assert!(resolve_inside(&root, std::path::Path::new("/etc/passwd")).is_err());
    }
}
