//! Which files a path stands for.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The CSV files to read, in order: the file itself, or a directory's
/// `*.csv` files (not recursive) sorted by name.
pub(crate) fn csv_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(path).map_err(|e| Error::io(path, e))? {
        let entry = entry.map_err(|e| Error::io(path, e))?;
        let candidate = entry.path();
        let is_csv = candidate.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("csv"));
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if is_csv && !hidden && candidate.is_file() {
            files.push(candidate);
        }
    }
    if files.is_empty() {
        return Err(Error::NoCsvFiles { path: path.to_path_buf() });
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_files_sorted_and_filtered() {
        let dir = std::env::temp_dir().join(format!("discover-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        for name in ["b.csv", "a.csv", "notes.txt", ".hidden.csv"] {
            fs::write(dir.join(name), "id\n1\n").unwrap();
        }
        let files = csv_files(&dir).unwrap();
        let names: Vec<_> = files.iter().map(|p| p.file_name().unwrap().to_owned()).collect();
        assert_eq!(names, ["a.csv", "b.csv"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_path_is_unreachable() {
        let err = csv_files(Path::new("/nonexistent/for/sure")).unwrap_err();
        assert!(err.is_unreachable(), "{err}");
    }

    #[test]
    fn empty_directory_is_reported() {
        let dir = std::env::temp_dir().join(format!("discover-empty-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let err = csv_files(&dir).unwrap_err();
        assert!(matches!(err, Error::NoCsvFiles { .. }), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
