//! Label (and annotation key) syntax, as the API server checks it.

/// `[prefix/]name`: prefix a DNS subdomain (≤ 253), name ≤ 63 of `[A-Za-z0-9._-]`, alphanumeric
/// at both ends.
pub fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        crate::names::check_dns_subdomain(prefix).map_err(|p| format!("prefix `{prefix}` {p}"))?;
    }
    if name.is_empty() || name.len() > 63 {
        return Err(format!("name part `{name}` must be 1 to 63 characters"));
    }
    if !is_label_text(name) {
        return Err(format!(
            "name part `{name}` may hold letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// Empty, or ≤ 63 of `[A-Za-z0-9._-]` starting and ending alphanumeric.
pub fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    if value.len() > 63 {
        return Err(format!(
            "value is {} characters long; at most 63 are allowed",
            value.len()
        ));
    }
    if !is_label_text(value) {
        return Err(
            "value may hold letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
                .to_string(),
        );
    }
    Ok(())
}

fn is_label_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values() {
        assert!(check_label_key("app.kubernetes.io/name").is_ok());
        assert!(check_label_key("team").is_ok());
        assert!(check_label_key("Bad_Prefix/x").is_err());
        assert!(check_label_key("-x").is_err());
        assert!(check_label_value("v1.2_beta-3").is_ok());
        assert!(check_label_value("").is_ok());
        assert!(check_label_value("has space").is_err());
        assert!(check_label_value(&"a".repeat(64)).is_err());
    }
}
