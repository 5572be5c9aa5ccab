//! Which services another service reaches, and on which port: `depends_on`, or one of its
//! names (the service's, `container_name`, `hostname`, a network alias) used as a host in an
//! environment value, a command, or a text file the other service mounts as configuration.
//! Such services need a Service even when they publish no port.

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
    /// Its `command` or `entrypoint` does (`wait-for db:5432`).
    Command,
    /// A text file it mounts as configuration does (`proxy_pass http://backend:8000;`).
    File {
        name: String,
    },
}

#[derive(Debug, Clone)]
pub struct Reference {
    /// The service that reaches the other.
    pub from: String,
    pub via: Via,
    pub span: Span,
    /// The name it uses (the service's own, or an alias); empty for `depends_on`.
    pub host: String,
    /// The port it connects to: written after the host, or the URL scheme's (`http://x` → 80).
    pub port: Option<u16>,
    /// The port is written after the host (not the scheme's).
    pub explicit_port: bool,
}

impl Reference {
    /// "`web` (depends_on)", "`web` (DATABASE_URL)": for messages.
    pub fn describe(&self) -> String {
        match &self.via {
            Via::DependsOn(_) => format!("`{}` (depends_on)", self.from),
            Via::Environment { key } => format!("`{}` ({key})", self.from),
            Via::Command => format!("`{}` (command)", self.from),
            Via::File { name } => format!("`{}` ({name})", self.from),
        }
    }

    /// Reaches the service over the network (not only by starting after it).
    pub fn connects(&self) -> bool {
        !matches!(self.via, Via::DependsOn(_))
    }
}

/// One service's outgoing edges: its dependencies and its environment, compose values
/// overridden by apps.yaml's literal values.
pub struct Edges<'a> {
    pub name: &'a str,
    pub depends_on: Vec<(String, Condition, Span)>,
    pub environment: Vec<(String, String, Span)>,
}

/// A text in which one service may name another: a variable's value, its command, a file.
#[derive(Debug, Clone)]
pub struct Text {
    pub via: Via,
    pub value: String,
    pub span: Span,
}

/// One service's dependencies and the texts it may name others in.
pub struct Outgoing<'a> {
    pub name: &'a str,
    pub depends_on: Vec<(String, Condition, Span)>,
    pub texts: Vec<Text>,
}

/// Target service → who reaches it (through `depends_on` and environment values). Only
/// services in `targets` are considered; a service never references itself.
pub fn references(
    edges: &[Edges<'_>],
    targets: &BTreeSet<String>,
) -> BTreeMap<String, Vec<Reference>> {
    let outgoing: Vec<Outgoing<'_>> = edges
        .iter()
        .map(|e| Outgoing {
            name: e.name,
            depends_on: e.depends_on.clone(),
            texts: e
                .environment
                .iter()
                .map(|(key, value, span)| Text {
                    via: Via::Environment { key: key.clone() },
                    value: value.clone(),
                    span: *span,
                })
                .collect(),
        })
        .collect();
    let names = targets
        .iter()
        .map(|t| (t.clone(), vec![t.clone()]))
        .collect();
    reach(&outgoing, &names)
}

/// Target service → who reaches it, by any of its names (`names`: service → the names it is
/// reached by, its own first).
pub fn reach(
    outgoing: &[Outgoing<'_>],
    names: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Vec<Reference>> {
    let mut out: BTreeMap<String, Vec<Reference>> = BTreeMap::new();
    for service in outgoing {
        for (target, condition, span) in &service.depends_on {
            if target != service.name && names.contains_key(target) {
                out.entry(target.clone()).or_default().push(Reference {
                    from: service.name.to_string(),
                    via: Via::DependsOn(*condition),
                    span: *span,
                    host: String::new(),
                    port: None,
                    explicit_port: false,
                });
            }
        }
        for text in &service.texts {
            let key = match &text.via {
                Via::Environment { key } => key.as_str(),
                _ => "",
            };
            for (target, hosts) in names {
                if target == service.name {
                    continue;
                }
                for host in hosts {
                    for found in host_uses(key, &text.value, host) {
                        out.entry(target.clone()).or_default().push(Reference {
                            from: service.name.to_string(),
                            via: text.via.clone(),
                            span: text.span,
                            host: host.clone(),
                            port: found.port,
                            explicit_port: found.explicit,
                        });
                    }
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

/// One use of a host name in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostUse {
    pub port: Option<u16>,
    /// Written after the host (`db:5432`), not the URL scheme's.
    pub explicit: bool,
}

/// Every use of `host` as a host name in `value` (of variable `key`), with its port: in a URL
/// (`postgres://db:5432/x`, `amqp://u:p@queue`), as `host:port`, or as the whole value of a
/// variable whose name says it holds a host (`DB_HOST=db`, `REDIS_URL=cache`). The port is the
/// one written after the host, else the URL scheme's usual one (`http://web` → 80). Host names
/// compare case-insensitively, as DNS does.
pub fn host_uses(key: &str, value: &str, host: &str) -> Vec<HostUse> {
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
    tokens
        .into_iter()
        .filter_map(|(start, end)| {
            let token = &value[start..end];
            if !token.eq_ignore_ascii_case(host) {
                return None;
            }
            let before = &value[..start];
            let after = &value[end..];
            let scheme = url_scheme(before);
            let written = after.strip_prefix(':').and_then(|rest| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                (!digits.is_empty()).then(|| digits.parse::<u16>().ok().filter(|p| *p > 0))
            });
            let whole = value.trim() == token && key_names_a_host(key);
            if scheme.is_none() && written.is_none() && !whole {
                return None;
            }
            let port = match written {
                Some(port) => port,
                None => scheme.and_then(scheme_port),
            };
            Some(HostUse {
                port,
                explicit: written.flatten().is_some(),
            })
        })
        .collect()
}

/// The scheme of a URL whose host starts right after `before` (`http://`, `amqp://user:pw@`),
/// lowercased; `Some("")` for `//` without one.
fn url_scheme(before: &str) -> Option<String> {
    let authority_start = if before.ends_with("//") {
        before.len() - 2
    } else if before.ends_with('@') {
        let at = before.len() - 1;
        let slashes = before[..at].rfind("//")?;
        // `user:password` has no spaces or slashes.
        if before[slashes + 2..at].contains(['/', ' ', '@']) {
            return None;
        }
        slashes
    } else {
        return None;
    };
    let head = &before[..authority_start];
    let head = head.strip_suffix(':').unwrap_or(head);
    let scheme: String = head
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Some(scheme.to_ascii_lowercase())
}

/// The port a client of this URL scheme connects to when the URL gives none.
fn scheme_port(scheme: String) -> Option<u16> {
    let scheme = scheme.split('+').next().unwrap_or(&scheme).to_string();
    Some(match scheme.as_str() {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        "postgres" | "postgresql" => 5432,
        "mysql" | "mariadb" => 3306,
        "redis" => 6379,
        "mongodb" => 27017,
        "amqp" => 5672,
        "amqps" => 5671,
        "nats" => 4222,
        "mqtt" => 1883,
        "memcached" => 11211,
        _ => return None,
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

    fn names_host(key: &str, value: &str, host: &str) -> bool {
        !host_uses(key, value, host).is_empty()
    }

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

    #[test]
    fn ports_come_from_after_the_host_or_from_the_scheme() {
        let port = |key: &str, value: &str, host: &str| {
            host_uses(key, value, host).first().and_then(|u| u.port)
        };
        assert_eq!(port("ADDR", "backend:9091", "backend"), Some(9091));
        assert_eq!(port("URL", "http://api/v1", "api"), Some(80));
        assert_eq!(port("URL", "https://u:p@api", "api"), Some(443));
        assert_eq!(
            port("DSN", "postgresql+psycopg://u:p@db/x", "db"),
            Some(5432)
        );
        assert_eq!(port("DB_HOST", "db", "db"), None);
        assert_eq!(port("X", "proxy_pass http://web:8000;", "web"), Some(8000));
        assert!(!host_uses("X", "http://api", "api")[0].explicit);
        assert!(host_uses("X", "api:81", "api")[0].explicit);
    }
}
