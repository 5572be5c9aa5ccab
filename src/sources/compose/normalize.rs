//! Rewrites short forms into long forms on the Node tree before merging (`"8080:80"`, `KEY=VAL`
//! lists, `build: .`, ...); new nodes keep the span of what the user wrote. Reads no files.

use super::short_syntax::{self, ShortVolumeKind};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::yaml::{Node, Style, Value};

/// Removes `x-*` extension keys from the places the specification allows them at the top of a
/// document: the document itself, each service, and each top-level resource. (Deeper ones are
/// dropped silently when deserializing.)
pub fn strip_extensions(doc: &mut Node) {
    retain_non_extension(doc);
    for section in ["services", "networks", "volumes", "secrets", "configs"] {
        if let Some(entries) = doc.get_mut(section).and_then(Node::as_map_mut) {
            entries
                .iter_mut()
                .for_each(|(_, v)| retain_non_extension(v));
        }
    }
}

fn retain_non_extension(node: &mut Node) {
    if let Some(entries) = node.as_map_mut() {
        entries.retain(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with("x-")));
    }
}

/// Normalizes every service and top-level resource of a document.
pub fn normalize_document(doc: &mut Node, diags: &mut Vec<Diagnostic>) {
    if let Some(services) = doc.get_mut("services").and_then(Node::as_map_mut) {
        for (key, service) in services.iter_mut() {
            if service.is_null() {
                *service = Node::map(Vec::new(), key.span);
            }
            let name = key.as_str().unwrap_or_default().to_string();
            normalize_service(&name, service, diags);
        }
    }
    for section in ["networks", "volumes", "secrets", "configs"] {
        let Some(entries) = doc.get_mut(section).and_then(Node::as_map_mut) else {
            continue;
        };
        for (key, def) in entries.iter_mut() {
            if def.is_null() {
                *def = Node::map(Vec::new(), key.span);
            }
            normalize_resource(def);
        }
    }
}

/// `external: {name: x}` (deprecated) → `external: true` + `name: x`; label lists → maps.
fn normalize_resource(def: &mut Node) {
    let external_name = def
        .get("external")
        .filter(|e| e.as_map().is_some())
        .map(|e| (e.span, e.get("name").cloned()));
    if let Some((span, name)) = external_name {
        *def.get_mut("external").expect("present") = plain("true", span);
        if let Some(name) = name
            && def.get("name").is_none()
        {
            def.as_map_mut()
                .expect("a mapping")
                .push((string("name", span), name));
        }
    }
    if let Some(labels) = def.get_mut("labels") {
        list_to_map(labels, Bare::Empty);
    }
}

/// What a `KEY` without `=VALUE` means in a list-or-mapping.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bare {
    /// Stays null: resolved from the environment later (`environment`, `build.args`).
    Null,
    /// An empty string (`labels`, `sysctls`, ...).
    Empty,
}

pub fn normalize_service(name: &str, service: &mut Node, diags: &mut Vec<Diagnostic>) {
    let field = |key: &str| format!("services.{name}.{key}");
    let Some(entries) = service.as_map_mut() else {
        return;
    };
    for (key, value) in entries.iter_mut() {
        let key = key.as_str().unwrap_or_default();
        // `!reset` values are left for the merge step; `!override` survives the rewrite.
        if value.tag.as_deref() == Some(super::merge::RESET) {
            continue;
        }
        let tag = value.tag.take();
        match key {
            "build" => normalize_build(value),
            "environment" => list_to_map(value, Bare::Null),
            "labels" | "annotations" | "sysctls" => list_to_map(value, Bare::Empty),
            "env_file" => {
                scalar_to_list(value);
                for item in seq_items_mut(value) {
                    if item.as_str().is_some() {
                        *item = Node::map(
                            vec![(
                                string("path", item.span),
                                retyped(item, Style::DoubleQuoted),
                            )],
                            item.span,
                        );
                    }
                }
            }
            "label_file" | "dns" | "dns_search" | "tmpfs" => scalar_to_list(value),
            "ports" => normalize_ports(value, &field(key), diags),
            "volumes" => normalize_volumes(value, &field(key), diags),
            "secrets" | "configs" => file_refs(value),
            "depends_on" => normalize_depends_on(value),
            "networks" => {
                if let Value::Seq(items) = &value.value {
                    let entries = items
                        .iter()
                        .map(|i| (retyped(i, Style::DoubleQuoted), null(i.span)))
                        .collect();
                    *value = Node::map(entries, value.span);
                }
            }
            "extra_hosts" => normalize_extra_hosts(value, &field(key), diags),
            "extends" if value.as_str().is_some() => {
                *value = Node::map(
                    vec![(
                        string("service", value.span),
                        retyped(value, Style::DoubleQuoted),
                    )],
                    value.span,
                );
            }
            "ulimits" => normalize_ulimits(value),
            "devices" => {
                for item in seq_items_mut(value) {
                    if let Some(text) = item.as_str() {
                        let (source, target, permissions) = short_syntax::split_device(text);
                        let span = item.span;
                        let mut entries = vec![(string("source", span), string(&source, span))];
                        if let Some(t) = target {
                            entries.push((string("target", span), string(&t, span)));
                        }
                        if let Some(p) = permissions {
                            entries.push((string("permissions", span), string(&p, span)));
                        }
                        *item = Node::map(entries, span);
                    }
                }
            }
            "deploy" => {
                if let Some(labels) = value.get_mut("labels") {
                    list_to_map(labels, Bare::Empty);
                }
                let devices = value
                    .get_mut("resources")
                    .and_then(|r| r.get_mut("reservations"))
                    .and_then(|r| r.get_mut("devices"));
                for device in devices.into_iter().flat_map(seq_items_mut) {
                    if let Some(options) = device.get_mut("options") {
                        list_to_map(options, Bare::Empty);
                    }
                }
            }
            "post_start" | "pre_stop" => {
                for hook in seq_items_mut(value) {
                    if let Some(env) = hook.get_mut("environment") {
                        list_to_map(env, Bare::Empty);
                    }
                }
            }
            _ => {}
        }
        value.tag = tag;
    }
}

fn normalize_build(value: &mut Node) {
    if value.as_str().is_some() {
        *value = Node::map(
            vec![(
                string("context", value.span),
                retyped(value, Style::DoubleQuoted),
            )],
            value.span,
        );
    }
    let Some(entries) = value.as_map_mut() else {
        return;
    };
    for (key, value) in entries.iter_mut() {
        if value.tag.as_deref() == Some(super::merge::RESET) {
            continue;
        }
        let tag = value.tag.take();
        match key.as_str().unwrap_or_default() {
            "args" => list_to_map(value, Bare::Null),
            "labels" | "additional_contexts" => list_to_map(value, Bare::Empty),
            "extra_hosts" => normalize_extra_hosts(value, "build.extra_hosts", &mut Vec::new()),
            "secrets" => file_refs(value),
            "ulimits" => normalize_ulimits(value),
            "ssh" => {
                scalar_to_list(value);
                if let Value::Map(pairs) = &value.value {
                    let items = pairs
                        .iter()
                        .map(|(k, v)| {
                            let key = k.as_str().unwrap_or_default();
                            match v.as_str().filter(|_| !v.is_null()) {
                                Some(v) => string(&format!("{key}={v}"), k.span),
                                None => string(key, k.span),
                            }
                        })
                        .collect();
                    value.value = Value::Seq(items);
                }
            }
            _ => {}
        }
        value.tag = tag;
    }
}

fn normalize_ports(value: &mut Node, field: &str, diags: &mut Vec<Diagnostic>) {
    let Value::Seq(items) = &mut value.value else {
        return;
    };
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.drain(..).enumerate() {
        let span = item.span;
        match &item.value {
            Value::Scalar(s) if !item.is_null() => match short_syntax::parse_port(&s.text) {
                Ok(specs) => {
                    for spec in specs {
                        let mut entries = vec![(
                            string("target", span),
                            plain(&spec.target.to_string(), span),
                        )];
                        let optional = [
                            ("published", spec.published),
                            ("host_ip", spec.host_ip),
                            ("protocol", spec.protocol),
                        ];
                        for (key, value) in optional {
                            if let Some(v) = value {
                                entries.push((string(key, span), string(&v, span)));
                            }
                        }
                        out.push(Node::map(entries, span));
                    }
                }
                Err(message) => diags.push(
                    Diagnostic::error(Code::InvalidPort, message)
                        .at(span)
                        .field(format!("{field}[{index}]"))
                        .help("expected [[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL], e.g. \"8080:80\""),
                ),
            },
            Value::Map(_) => {
                let published = item.get("published").filter(|p| !p.is_null());
                if let Some(published) = published {
                    let text = published.as_str().unwrap_or_default();
                    if let Err(message) = short_syntax::parse_port_range(text, "published") {
                        diags.push(
                            Diagnostic::error(Code::InvalidPort, message)
                                .at(published.span)
                                .field(format!("{field}[{index}].published")),
                        );
                        continue;
                    }
                }
                out.push(item);
            }
            _ => out.push(item),
        }
    }
    *items = out;
}

fn normalize_volumes(value: &mut Node, field: &str, diags: &mut Vec<Diagnostic>) {
    let Value::Seq(items) = &mut value.value else {
        return;
    };
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.drain(..).enumerate() {
        let Some(text) = item.as_str().filter(|_| !item.is_null()) else {
            out.push(item);
            continue;
        };
        let span = item.span;
        match short_syntax::parse_volume(text) {
            Ok(spec) => {
                let kind = match spec.kind {
                    ShortVolumeKind::Bind => "bind",
                    ShortVolumeKind::Volume => "volume",
                };
                let mut entries = vec![(string("type", span), string(kind, span))];
                if let Some(source) = &spec.source {
                    entries.push((string("source", span), string(source, span)));
                }
                entries.push((string("target", span), string(&spec.target, span)));
                if spec.read_only {
                    entries.push((string("read_only", span), plain("true", span)));
                }
                if spec.kind == ShortVolumeKind::Bind {
                    let mut bind = vec![(string("create_host_path", span), plain("true", span))];
                    if let Some(selinux) = &spec.selinux {
                        bind.push((string("selinux", span), string(selinux, span)));
                    }
                    if let Some(propagation) = &spec.propagation {
                        bind.push((string("propagation", span), string(propagation, span)));
                    }
                    entries.push((string("bind", span), Node::map(bind, span)));
                } else if spec.nocopy {
                    let options = vec![(string("nocopy", span), plain("true", span))];
                    entries.push((string("volume", span), Node::map(options, span)));
                }
                out.push(Node::map(entries, span));
            }
            Err(message) => diags.push(
                Diagnostic::error(Code::InvalidVolume, message)
                    .at(span)
                    .field(format!("{field}[{index}]"))
                    .help("expected [SOURCE:]TARGET[:MODE], e.g. \"./data:/data:ro\" or \"db:/var/lib/data\""),
            ),
        }
    }
    *items = out;
}

/// `- name` → `- {source: name}`.
fn file_refs(value: &mut Node) {
    for item in seq_items_mut(value) {
        if item.as_str().is_some() && !item.is_null() {
            *item = Node::map(
                vec![(
                    string("source", item.span),
                    retyped(item, Style::DoubleQuoted),
                )],
                item.span,
            );
        }
    }
}

/// `[a, b]` → `{a: {condition: service_started, required: true}, ...}`.
fn normalize_depends_on(value: &mut Node) {
    let Value::Seq(items) = &value.value else {
        return;
    };
    let entries = items
        .iter()
        .map(|item| {
            let span = item.span;
            let condition = vec![
                (string("condition", span), string("service_started", span)),
                (string("required", span), plain("true", span)),
            ];
            (
                retyped(item, Style::DoubleQuoted),
                Node::map(condition, span),
            )
        })
        .collect();
    *value = Node::map(entries, value.span);
}

/// `["host:ip", "host=ip"]` or `{host: ip}` → `{host: [ip, ...]}`.
fn normalize_extra_hosts(value: &mut Node, field: &str, diags: &mut Vec<Diagnostic>) {
    match &value.value {
        Value::Seq(items) => {
            let mut entries: Vec<(Node, Node)> = Vec::new();
            for (index, item) in items.iter().enumerate() {
                let Some((host, ip)) = item.as_str().and_then(short_syntax::split_extra_host)
                else {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidExtraHost,
                            format!("expected `HOST:IP` or `HOST=IP`, found {}", item.describe()),
                        )
                        .at(item.span)
                        .field(format!("{field}[{index}]")),
                    );
                    continue;
                };
                let ip = string(ip, item.span);
                match entries.iter_mut().find(|(k, _)| k.as_str() == Some(host)) {
                    Some((
                        _,
                        Node {
                            value: Value::Seq(ips),
                            ..
                        },
                    )) => ips.push(ip),
                    _ => entries.push((
                        string(host, item.span),
                        Node {
                            value: Value::Seq(vec![ip]),
                            span: item.span,
                            tag: None,
                        },
                    )),
                }
            }
            *value = Node::map(entries, value.span);
        }
        Value::Map(_) => {
            for (_, ips) in value.as_map_mut().expect("a mapping") {
                if ips.as_str().is_some() {
                    *ips = Node {
                        value: Value::Seq(vec![ips.clone()]),
                        span: ips.span,
                        tag: None,
                    };
                }
            }
        }
        Value::Scalar(_) => {}
    }
}

/// `nofile: 1024` → `nofile: {soft: 1024, hard: 1024}`.
fn normalize_ulimits(value: &mut Node) {
    for (_, limit) in value.as_map_mut().into_iter().flatten() {
        if limit.as_str().is_some() && !limit.is_null() {
            let span = limit.span;
            *limit = Node::map(
                vec![
                    (string("soft", span), limit.clone()),
                    (string("hard", span), limit.clone()),
                ],
                span,
            );
        }
    }
}

/// A `KEY=VAL` list becomes a mapping; in a mapping, null values follow `bare`.
fn list_to_map(value: &mut Node, bare: Bare) {
    match &value.value {
        Value::Seq(items) => {
            let mut entries: Vec<(Node, Node)> = Vec::new();
            for item in items {
                let Some(text) = item.as_str().filter(|_| !item.is_null()) else {
                    continue;
                };
                let (key, val) = short_syntax::split_key_value(text);
                let val = match (val, bare) {
                    (Some(v), _) => string(v, item.span),
                    (None, Bare::Null) => null(item.span),
                    (None, Bare::Empty) => string("", item.span),
                };
                entries.push((string(key, item.span), val));
            }
            *value = Node::map(Node::keep_last(entries), value.span);
        }
        Value::Map(_) if bare == Bare::Empty => {
            for (_, v) in value.as_map_mut().expect("a mapping") {
                if v.is_null() {
                    *v = string("", v.span);
                }
            }
        }
        _ => {}
    }
}

fn scalar_to_list(value: &mut Node) {
    if value.as_str().is_some() && !value.is_null() {
        *value = Node {
            value: Value::Seq(vec![value.clone()]),
            span: value.span,
            tag: None,
        };
    }
}

fn seq_items_mut(value: &mut Node) -> impl Iterator<Item = &mut Node> {
    match &mut value.value {
        Value::Seq(items) => items.iter_mut(),
        _ => [].iter_mut(),
    }
}

/// A string scalar (quoted, so it is never read as a number or null).
fn string(text: &str, span: Span) -> Node {
    Node::scalar(text, Style::DoubleQuoted, span)
}

/// A plain scalar, read by the field's type (`true`, `8080`).
fn plain(text: &str, span: Span) -> Node {
    Node::scalar(text, Style::Plain, span)
}

fn null(span: Span) -> Node {
    Node::scalar("", Style::Plain, span)
}

/// The same scalar text with another style (a list item used as a mapping key or value).
fn retyped(node: &Node, style: Style) -> Node {
    match &node.value {
        Value::Scalar(s) => Node::scalar(s.text.clone(), style, node.span),
        _ => node.clone(),
    }
}
