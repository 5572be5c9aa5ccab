//! Which services another service reaches: `depends_on`, or its name used as a host in an
//! environment value. Such services need a Service even when they publish no port.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::EnvValue;
use crate::diagnostic::Span;
use crate::sources::compose::Condition;

/// How one service reaches another.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    DependsOn(Condition),
    /// `KEY=value` names the service as a host.
    Environment {
        key: String,
    },
}

#[derive(Debug, Clone)]
pub struct Reference {
    /// The service that reaches the other.
    pub from: String,
    pub via: Via,
    pub span: Span,
}

impl Reference {
    /// "`web` (depends_on)", "`web` (DATABASE_URL)": for messages.
    pub fn describe(&self) -> String {
        match &self.via {
            Via::DependsOn(_) => format!("`{}` (depends_on)", self.from),
            Via::Environment { key } => format!("`{}` ({key})", self.from),
        }
    }
}

/// One service's outgoing edges: its dependencies and its environment, compose values
/// overridden by apps.yaml's literal values.
pub struct Edges<'a> {
    pub name: &'a str,
    pub depends_on: Vec<(String, Condition, Span)>,
    pub environment: Vec<(String, String, Span)>,
}

/// Target service → who reaches it. Only services in `targets` are considered; a service
/// never references itself.
pub fn references(
    edges: &[Edges<'_>],
    targets: &BTreeSet<String>,
) -> BTreeMap<String, Vec<Reference>> {
    let mut out: BTreeMap<String, Vec<Reference>> = BTreeMap::new();
    for service in edges {
        for (target, condition, span) in &service.depends_on {
            if target != service.name && targets.contains(target) {
                out.entry(target.clone()).or_default().push(Reference {
                    from: service.name.to_string(),
                    via: Via::DependsOn(*condition),
                    span: *span,
                });
            }
        }
        for (key, value, span) in &service.environment {
            for target in targets {
                if target != service.name && names_host(key, value, target) {
                    out.entry(target.clone()).or_default().push(Reference {
                        from: service.name.to_string(),
                        via: Via::Environment { key: key.clone() },
                        span: *span,
                    });
                }
            }
        }
    }
    out
}

/// A literal value of apps.yaml's `environment`, if it is one.
pub fn literal(value: &EnvValue) -> Option<&str> {
    match value {
        EnvValue::Literal(text) => Some(text),
        EnvValue::Reference(_) => None,
    }
}

/// Whether `value` (of variable `key`) uses `host` as a host name: in a URL
/// (`postgres://db:5432/x`, `amqp://u:p@queue`), as `host:port`, or as the whole value of a
/// variable whose name says it holds a host (`DB_HOST=db`, `REDIS_URL=cache`). Host names
/// compare case-insensitively, as DNS does.
pub fn names_host(key: &str, value: &str, host: &str) -> bool {
    let is_host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in value
        .char_indices()
        .chain(std::iter::once((value.len(), ' ')))
    {
        match (is_host_char(c) && i < value.len(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                tokens.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    tokens.into_iter().any(|(start, end)| {
        let token = &value[start..end];
        if !token.eq_ignore_ascii_case(host) {
            return false;
        }
        let before = &value[..start];
        let after = &value[end..];
        let in_url = before.ends_with("//") || before.ends_with('@');
        let with_port = after
            .strip_prefix(':')
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
        let whole = value.trim() == token && key_names_a_host(key);
        in_url || with_port || whole
    })
}

fn key_names_a_host(key: &str) -> bool {
    const HINTS: &[&str] = &[
        "HOST", "ADDR", "SERVER", "URL", "URI", "DSN", "ENDPOINT", "BROKER",
    ];
    let upper = key.to_ascii_uppercase();
    HINTS.iter().any(|hint| upper.contains(hint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_found_in_urls_host_ports_and_host_variables() {
        assert!(names_host(
            "DATABASE_URL",
            "postgres://user:pw@db:5432/app",
            "db"
        ));
        assert!(names_host("X", "postgres://db/app", "db"));
        assert!(names_host("CACHE", "redis://cache", "cache"));
        assert!(names_host("PEERS", "es1:9200,es2:9200", "es2"));
        assert!(names_host("DB_HOST", "db", "db"));
        assert!(names_host("DB_HOST", "DB", "db"));
        assert!(names_host("MYSQL_DSN", "tcp(db:3306)/x", "db"));
    }

    #[test]
    fn other_words_are_not_hosts() {
        assert!(!names_host("MODE", "app", "app"));
        assert!(!names_host("DB_HOST", "db.example.com", "db"));
        assert!(!names_host("DATABASE_URL", "postgres://mydb:5432", "db"));
        assert!(!names_host("GREETING", "hello db world", "db"));
        assert!(!names_host("DB_ENGINE", "postgres", "postgres"));
        assert!(!names_host("NAME", "café db:x", "db"));
        assert!(names_host("NAME", "café→db:1", "db"));
    }
}
