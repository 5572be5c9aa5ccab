//! Compose's short forms read as text: ports `"127.0.0.1:8080:80/udp"`, volumes `./data:/data:ro`,
//! `KEY=VAL` entries, durations `1m30s`, byte sizes `512m`, `host:ip`. Pure string work: no nodes, no files.

use std::time::Duration;

/// One port mapping read from the short syntax `[[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub target: u16,
    /// A port (`8080`) or a range (`8000-8010`).
    pub published: Option<String>,
    pub host_ip: Option<String>,
    pub protocol: Option<String>,
}

/// Reads a short-syntax port. A target range (`3000-3005`) becomes one mapping per port, paired
/// with a published range of the same size when there is one.
pub fn parse_port(text: &str) -> Result<Vec<PortSpec>, String> {
    let text = text.trim();
    let (rest, protocol) = match text.rsplit_once('/') {
        Some((rest, proto)) if !proto.is_empty() => (rest, Some(proto.to_ascii_lowercase())),
        Some(_) => return Err(format!("`{text}` has an empty protocol after `/`")),
        None => (text, None),
    };
    let (host_ip, published, target) = split_port_parts(rest)?;
    let target_range = parse_port_range(target, "target")?;
    let published_range = match published {
        Some(p) if !p.is_empty() => Some(parse_port_range(p, "published")?),
        _ => None,
    };
    let host_ip = host_ip.filter(|ip| !ip.is_empty()).map(str::to_string);
    let (start, end) = target_range;
    if start == 0 {
        return Err(format!("`{text}`: port 0 is not a valid target port"));
    }
    let spec = |target: u16, published: Option<String>| PortSpec {
        target,
        published,
        host_ip: host_ip.clone(),
        protocol: protocol.clone(),
    };
    if start == end {
        let published = published_range.map(|(a, b)| format_range(a, b));
        return Ok(vec![spec(start, published)]);
    }
    match published_range {
        None => Ok((start..=end).map(|port| spec(port, None)).collect()),
        Some((a, b)) if b - a == end - start => Ok((start..=end)
            .zip(a..=b)
            .map(|(target, published)| spec(target, Some(published.to_string())))
            .collect()),
        Some(_) => Err(format!(
            "`{text}`: the published range and the target range must be the same size"
        )),
    }
}

/// Splits `[[ip:]published:]target` (an IPv6 address may be written in brackets).
fn split_port_parts(text: &str) -> Result<(Option<&str>, Option<&str>, &str), String> {
    if let Some(after) = text.strip_prefix('[') {
        let (ip, rest) = after
            .split_once(']')
            .ok_or_else(|| format!("`{text}`: `[` without a closing `]`"))?;
        let rest = rest
            .strip_prefix(':')
            .ok_or_else(|| format!("`{text}`: expected `:` after the host address"))?;
        let (published, target) = rest
            .split_once(':')
            .ok_or_else(|| format!("`{text}`: expected `PUBLISHED:TARGET` after the address"))?;
        return Ok((Some(ip), Some(published), target));
    }
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        [target] => Ok((None, None, target)),
        [published, target] => Ok((None, Some(published), target)),
        [ip, published, target] => Ok((Some(ip), Some(published), target)),
        _ => {
            // An unbracketed IPv6 address: everything before the last two parts.
            let split = text
                .rmatch_indices(':')
                .nth(1)
                .map(|(i, _)| i)
                .unwrap_or_default();
            let ip = &text[..split];
            let (published, target) = text[split + 1..].split_once(':').unwrap_or(("", ""));
            Ok((Some(ip), Some(published), target))
        }
    }
}

/// `8080` or `8000-8010`, as inclusive bounds.
pub fn parse_port_range(text: &str, what: &str) -> Result<(u16, u16), String> {
    let port = |t: &str| {
        t.trim()
            .parse::<u16>()
            .map_err(|_| format!("`{text}` is not a valid {what} port (expected 0-65535)"))
    };
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port(a)?, port(b)?);
            if a > b {
                return Err(format!("`{text}`: the range ends before it starts"));
            }
            Ok((a, b))
        }
        None => {
            let p = port(text)?;
            Ok((p, p))
        }
    }
}

fn format_range(a: u16, b: u16) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

/// The mount type a short-syntax volume stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortVolumeKind {
    /// A named volume (`db:/var/lib/data`) or an anonymous one (`/data`).
    Volume,
    /// A host path (`./data:/data`, `/opt:/opt`, `~/x:/x`).
    Bind,
}

/// A volume read from the short syntax `[SOURCE:]TARGET[:MODE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    pub kind: ShortVolumeKind,
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    /// `z` or `Z`.
    pub selinux: Option<String>,
    /// `shared`, `rslave`, ...
    pub propagation: Option<String>,
    pub nocopy: bool,
}

const PROPAGATIONS: &[&str] = &[
    "shared", "rshared", "slave", "rslave", "private", "rprivate",
];

/// Reads a short-syntax volume.
pub fn parse_volume(text: &str) -> Result<VolumeSpec, String> {
    if text.is_empty() {
        return Err("empty volume".to_string());
    }
    let parts = split_volume(text);
    let (source, target, mode) = match parts.as_slice() {
        [target] => (None, *target, None),
        [source, target] => (Some(*source), *target, None),
        [source, target, mode] => (Some(*source), *target, Some(*mode)),
        _ => {
            return Err(format!(
                "`{text}` has too many `:`; expected [SOURCE:]TARGET[:MODE]"
            ));
        }
    };
    if target.is_empty() {
        return Err(format!("`{text}` has an empty target path"));
    }
    if !is_absolute(target) {
        return Err(format!(
            "`{text}`: the target `{target}` must be an absolute path in the container"
        ));
    }
    let source = source.filter(|s| !s.is_empty());
    let kind = match source {
        Some(s) if is_host_path(s) => ShortVolumeKind::Bind,
        _ => ShortVolumeKind::Volume,
    };
    let mut spec = VolumeSpec {
        kind,
        source: source.map(str::to_string),
        target: target.to_string(),
        read_only: false,
        selinux: None,
        propagation: None,
        nocopy: false,
    };
    for option in mode.into_iter().flat_map(|m| m.split(',')) {
        match option {
            "ro" => spec.read_only = true,
            "rw" => spec.read_only = false,
            "z" | "Z" => spec.selinux = Some(option.to_string()),
            "nocopy" => spec.nocopy = true,
            p if PROPAGATIONS.contains(&p) => spec.propagation = Some(p.to_string()),
            "cached" | "delegated" | "consistent" => {}
            other => {
                return Err(format!(
                    "`{text}`: unknown volume option `{other}` (expected ro, rw, z, Z, nocopy, \
                     or a propagation mode)"
                ));
            }
        }
    }
    Ok(spec)
}

/// Splits on `:` but keeps a Windows drive letter (`C:\data`) with its path.
fn split_volume(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b':' {
            let is_drive = i == start + 1
                && bytes[start].is_ascii_alphabetic()
                && matches!(bytes.get(i + 1), Some(b'\\' | b'/'));
            if !is_drive {
                parts.push(&text[start..i]);
                start = i + 1;
            }
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

fn is_absolute(path: &str) -> bool {
    path.starts_with('/') || is_windows_path(path)
}

fn is_windows_path(path: &str) -> bool {
    let b = path.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/'))
        || path.starts_with("\\\\")
}

/// A source that names a host path rather than a volume.
pub fn is_host_path(source: &str) -> bool {
    source.starts_with(['.', '/', '~']) || is_windows_path(source)
}

/// A Go-style duration: `10s`, `1m30s`, `1.5h`, `500ms`, `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad =
        || format!("`{text}` is not a duration (expected e.g. `10s`, `1m30s`, `500ms`, `1h`)");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// The compact Go-style spelling of a duration: `1m30s`, `2h`, `500ms`, `1.5s`.
pub fn format_duration(duration: Duration) -> String {
    if duration.is_zero() {
        return "0s".to_string();
    }
    let secs = duration.as_secs();
    let nanos = duration.subsec_nanos();
    if secs == 0 {
        return if nanos.is_multiple_of(1_000_000) {
            format!("{}ms", nanos / 1_000_000)
        } else if nanos.is_multiple_of(1_000) {
            format!("{}us", nanos / 1_000)
        } else {
            format!("{nanos}ns")
        };
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || nanos > 0 {
        out.push_str(&s.to_string());
        if nanos > 0 {
            let fraction = format!("{nanos:09}");
            out.push('.');
            out.push_str(fraction.trim_end_matches('0'));
        }
        out.push('s');
    }
    out
}

/// A byte size as Docker reads it: `1024`, `512m`, `1gb`, `1.5G`, `20M` (binary multiples).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let bad = || format!("`{text}` is not a size (expected e.g. `512m`, `1gb`, `1024`)");
    let number_len = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let number: f64 = trimmed[..number_len].parse().map_err(|_| bad())?;
    let unit = trimmed[number_len..].trim_start().to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let power = match unit {
        "" => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        _ => return Err(bad()),
    };
    let bytes = number * 1024f64.powi(power);
    if !bytes.is_finite() || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// `KEY=VAL` → (`KEY`, `Some("VAL")`); `KEY` → (`KEY`, `None`).
pub fn split_key_value(text: &str) -> (&str, Option<&str>) {
    match text.split_once('=') {
        Some((key, value)) => (key, Some(value)),
        None => (text, None),
    }
}

/// An `extra_hosts` entry: `host=ip` or `host:ip` (an IPv6 address keeps its colons).
pub fn split_extra_host(text: &str) -> Option<(&str, &str)> {
    let (host, ip) = text.split_once('=').or_else(|| text.split_once(':'))?;
    let ip = ip
        .strip_prefix('[')
        .and_then(|i| i.strip_suffix(']'))
        .unwrap_or(ip);
    (!host.is_empty() && !ip.is_empty()).then_some((host, ip))
}

/// A device mapping `SOURCE[:TARGET[:PERMISSIONS]]`.
pub fn split_device(text: &str) -> (String, Option<String>, Option<String>) {
    let mut parts = text.splitn(3, ':');
    let source = parts.next().unwrap_or_default().to_string();
    let target = parts.next().map(str::to_string);
    let permissions = parts.next().map(str::to_string);
    (source, target, permissions)
}

/// A command written as one string, split into argv the way a POSIX shell splits words
/// (quotes and backslashes), without running a shell.
pub fn shell_split(text: &str) -> Result<Vec<String>, String> {
    shlex::split(text).ok_or_else(|| format!("`{text}` has an unterminated quote or escape"))
}

/// A file mode: `0440` and `0o440` are octal, like in a shell; `288` is decimal.
pub fn parse_file_mode(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a file mode (expected e.g. `0440`)");
    if let Some(octal) = text.strip_prefix("0o") {
        u32::from_str_radix(octal, 8).map_err(|_| bad())
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8).map_err(|_| bad())
    } else {
        text.parse().map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(target: u16, published: Option<&str>) -> PortSpec {
        PortSpec {
            target,
            published: published.map(str::to_string),
            host_ip: None,
            protocol: None,
        }
    }

    #[test]
    fn ports_in_every_short_form() {
        assert_eq!(parse_port("3000").unwrap(), [port(3000, None)]);
        assert_eq!(parse_port("8080:80").unwrap(), [port(80, Some("8080"))]);
        assert_eq!(
            parse_port("127.0.0.1:8080:80/udp").unwrap(),
            [PortSpec {
                host_ip: Some("127.0.0.1".into()),
                protocol: Some("udp".into()),
                ..port(80, Some("8080"))
            }]
        );
        assert_eq!(
            parse_port("127.0.0.1::5000").unwrap(),
            [PortSpec {
                host_ip: Some("127.0.0.1".into()),
                ..port(5000, None)
            }]
        );
        assert_eq!(
            parse_port("[::1]:6001:6000").unwrap(),
            [PortSpec {
                host_ip: Some("::1".into()),
                ..port(6000, Some("6001"))
            }]
        );
    }

    #[test]
    fn port_ranges_expand_pairwise() {
        assert_eq!(
            parse_port("3001-3003").unwrap(),
            [port(3001, None), port(3002, None), port(3003, None)]
        );
        assert_eq!(
            parse_port("9090-9091:8080-8081").unwrap(),
            [port(8080, Some("9090")), port(8081, Some("9091"))]
        );
        assert_eq!(
            parse_port("8000-8010:80").unwrap(),
            [port(80, Some("8000-8010"))]
        );
        assert!(parse_port("9090-9092:8080-8081").is_err());
        assert!(parse_port("80:http").is_err());
        assert!(parse_port("70000").is_err());
        assert!(parse_port("0").is_err());
    }

    #[test]
    fn volumes_named_bind_anonymous_and_modes() {
        let v = parse_volume("db:/var/lib/postgresql/data").unwrap();
        assert_eq!(v.kind, ShortVolumeKind::Volume);
        assert_eq!(v.source.as_deref(), Some("db"));
        let v = parse_volume("./data:/data:ro").unwrap();
        assert_eq!(
            (v.kind, v.source.as_deref(), v.target.as_str(), v.read_only),
            (ShortVolumeKind::Bind, Some("./data"), "/data", true)
        );
        let v = parse_volume("/data").unwrap();
        assert_eq!((v.kind, v.source), (ShortVolumeKind::Volume, None));
        let v = parse_volume("~/configs:/etc/configs:ro,z").unwrap();
        assert_eq!(
            (v.kind, v.selinux.as_deref()),
            (ShortVolumeKind::Bind, Some("z"))
        );
        let v = parse_volume("C:\\data:/data").unwrap();
        assert_eq!(v.source.as_deref(), Some("C:\\data"));
        assert!(parse_volume("data:relative").is_err());
        assert!(parse_volume("a:/b:bogus").is_err());
    }

    #[test]
    fn durations_are_exact() {
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10x").is_err());
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn byte_sizes_use_binary_multiples() {
        assert_eq!(parse_bytes("512m").unwrap(), 512 * 1024 * 1024);
        assert_eq!(parse_bytes("1gb").unwrap(), 1024 * 1024 * 1024);
        assert_eq!(parse_bytes("20M").unwrap(), 20 * 1024 * 1024);
        assert_eq!(parse_bytes("10000").unwrap(), 10000);
        assert_eq!(parse_bytes("1.5k").unwrap(), 1536);
        assert!(parse_bytes("lots").is_err());
    }

    #[test]
    fn commands_split_like_a_shell() {
        assert_eq!(
            shell_split(r#"sh -c "echo 'a b' \"c\"" d\ e"#).unwrap(),
            ["sh", "-c", "echo 'a b' \"c\"", "d e"]
        );
        assert!(shell_split("echo 'open").is_err());
    }

    #[test]
    fn small_forms() {
        assert_eq!(split_key_value("A=b=c"), ("A", Some("b=c")));
        assert_eq!(split_key_value("A"), ("A", None));
        assert_eq!(
            split_extra_host("somehost:162.242.195.82"),
            Some(("somehost", "162.242.195.82"))
        );
        assert_eq!(split_extra_host("v6=::1"), Some(("v6", "::1")));
        assert_eq!(split_extra_host("v6:[::1]"), Some(("v6", "::1")));
        assert_eq!(parse_file_mode("0440").unwrap(), 0o440);
        assert_eq!(parse_file_mode("288").unwrap(), 288);
    }
}
