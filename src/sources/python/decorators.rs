//! The decorators k3s reads (`@serverless` and one trigger) turned into typed settings: every
//! argument's name, type and value is checked here. Nothing here walks files or renders objects.

use std::collections::BTreeMap;
use std::fmt;

use super::parser::{PyCall, PyDecorator, PyFunction, PyLiteral, PyValue};
use crate::config::{ConcurrencyPolicy, QueueType, Visibility};
use crate::cron::validate_cron;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span, did_you_mean};
use crate::yaml::Spanned;

/// What `@serverless(...)` says; every field is optional and defaults are applied later.
#[derive(Debug, Clone, Default)]
pub struct FunctionSettings {
    /// Kubernetes quantities as written (`"256Mi"`, `"100m"`); checked when lowered.
    pub memory: Option<Spanned<String>>,
    pub cpu: Option<Spanned<String>>,
    pub memory_limit: Option<Spanned<String>>,
    pub cpu_limit: Option<Spanned<String>>,
    pub ephemeral_storage: Option<Spanned<String>>,
    pub min_instances: Option<Spanned<u32>>,
    pub max_instances: Option<Spanned<u32>>,
    /// Seconds without traffic before scaling down.
    pub cooldown_period: Option<Spanned<u32>>,
    pub target_pending_requests: Option<Spanned<u32>>,
    /// Seconds one invocation may take.
    pub timeout: Option<Spanned<u32>>,
    pub visibility: Option<Spanned<Visibility>>,
    /// Variable name → value; integers and booleans are stored as Python's `str()` writes them.
    pub environment: BTreeMap<Spanned<String>, Spanned<String>>,
    /// Names of Kubernetes Secrets the function reads.
    pub secrets: Vec<Spanned<String>>,
    pub service_account: Option<Spanned<String>>,
    /// Overrides the Kubernetes name derived from the Python name.
    pub name: Option<Spanned<String>>,
}

/// The one trigger of a function.
#[derive(Debug, Clone)]
pub enum Trigger {
    Http(HttpTrigger),
    Queue(QueueTrigger),
    Schedule(ScheduleTrigger),
}

impl Trigger {
    /// The trigger decorator, from after the `@` to its closing parenthesis.
    pub fn span(&self) -> Span {
        match self {
            Trigger::Http(trigger) => trigger.span,
            Trigger::Queue(trigger) => trigger.span,
            Trigger::Schedule(trigger) => trigger.span,
        }
    }

    /// `http_trigger`, `queue_trigger` or `schedule_trigger`.
    pub fn decorator_name(&self) -> &'static str {
        match self {
            Trigger::Http(_) => Kind::Http.name(),
            Trigger::Queue(_) => Kind::Queue.name(),
            Trigger::Schedule(_) => Kind::Schedule.name(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpTrigger {
    /// Starts with `/`.
    pub path: Spanned<String>,
    /// Upper case, no duplicates; empty when not given (every method).
    pub methods: Vec<Spanned<HttpMethod>>,
    pub strip_prefix: Option<Spanned<bool>>,
    pub hosts: Vec<Spanned<String>>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct QueueTrigger {
    pub queue_name: Spanned<String>,
    /// At least 1; 1 when not given.
    pub batch_size: Spanned<u32>,
    pub visibility_timeout: Option<Spanned<u32>>,
    /// `list` when not given.
    pub queue_type: Spanned<QueueType>,
    /// Only with `queue_type="stream"`.
    pub consumer_group: Option<Spanned<String>>,
    /// Target queue length per replica.
    pub queue_length: Option<Spanned<u32>>,
    /// `worker` when not given.
    pub mode: Spanned<QueueMode>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ScheduleTrigger {
    /// A valid Kubernetes CronJob schedule.
    pub cron: Spanned<String>,
    /// `UTC` or an `Area/Location` name; `UTC` when not given.
    pub timezone: Spanned<String>,
    /// `Forbid` when not given.
    pub concurrency_policy: Spanned<ConcurrencyPolicy>,
    pub starting_deadline_seconds: Option<Spanned<u32>>,
    pub suspend: Option<Spanned<bool>>,
    pub span: Span,
}

/// An enum written as one of a fixed set of strings.
trait Choice: Copy + 'static {
    const ALL: &'static [(Self, &'static str)];
}

/// Declares a [`Choice`] enum with the strings users write for it.
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl Choice for $name {
            const ALL: &'static [($name, &'static str)] = &[$(($name::$variant, $text),)+];
        }

        impl $name {
            /// The spelling users write and Kubernetes objects carry.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Makes an enum of `crate::config` a [`Choice`], so decorators and apps.yaml share one type
/// and one spelling.
macro_rules! config_choice {
    ($name:ident { $($variant:ident = $text:literal,)+ }) => {
        impl Choice for $name {
            const ALL: &'static [($name, &'static str)] = &[$(($name::$variant, $text),)+];
        }
    };
}

config_choice! {
    Visibility {
        Public = "public",
        Internal = "internal",
        Private = "private",
        Restricted = "restricted",
    }
}

config_choice! {
    QueueType {
        List = "list",
        Stream = "stream",
    }
}

config_choice! {
    ConcurrencyPolicy {
        Forbid = "Forbid",
        Allow = "Allow",
        Replace = "Replace",
    }
}

choice! {
    HttpMethod {
        Get = "GET",
        Head = "HEAD",
        Post = "POST",
        Put = "PUT",
        Patch = "PATCH",
        Delete = "DELETE",
        Options = "OPTIONS",
    }
}

choice! {
    QueueMode {
        /// A Deployment of long-running consumers, scaled by KEDA.
        Worker = "worker",
        /// One Kubernetes Job per batch, through a KEDA ScaledJob.
        Job = "job",
    }
}

/// The decorators k3s recognises, by the last segment of their dotted name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Serverless,
    Http,
    Queue,
    Schedule,
}

const TRIGGERS: &str = "@http_trigger, @queue_trigger or @schedule_trigger";

impl Kind {
    pub(super) fn of(decorator: &PyDecorator) -> Option<Kind> {
        match decorator.short_name()? {
            "serverless" => Some(Kind::Serverless),
            "http_trigger" => Some(Kind::Http),
            "queue_trigger" => Some(Kind::Queue),
            "schedule_trigger" => Some(Kind::Schedule),
            _ => None,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Serverless => "serverless",
            Kind::Http => "http_trigger",
            Kind::Queue => "queue_trigger",
            Kind::Schedule => "schedule_trigger",
        }
    }

    fn arguments(self) -> &'static [&'static str] {
        match self {
            Kind::Serverless => &[
                "memory",
                "cpu",
                "memory_limit",
                "cpu_limit",
                "ephemeral_storage",
                "min_instances",
                "max_instances",
                "cooldown_period",
                "target_pending_requests",
                "timeout",
                "visibility",
                "environment",
                "secrets",
                "service_account",
                "name",
            ],
            Kind::Http => &["path", "methods", "strip_prefix", "hosts"],
            Kind::Queue => &[
                "queue_name",
                "batch_size",
                "visibility_timeout",
                "queue_type",
                "consumer_group",
                "queue_length",
                "mode",
            ],
            Kind::Schedule => &[
                "cron",
                "timezone",
                "concurrency_policy",
                "starting_deadline_seconds",
                "suspend",
            ],
        }
    }
}

/// True when the function carries `@serverless` or a trigger decorator.
pub(super) fn is_discoverable(function: &PyFunction) -> bool {
    function.decorators.iter().any(|d| Kind::of(d).is_some())
}

/// Reads a discoverable function's settings and trigger, reporting every problem found;
/// `None` when there was at least one.
pub(super) fn read(
    function: &PyFunction,
    diagnostics: &mut Diagnostics,
) -> Option<(FunctionSettings, Trigger)> {
    let errors_before = diagnostics.error_count();
    let name = function.name.as_str();
    if !function.module_level {
        diagnostics.push(
            Diagnostic::error(
                Code::NestedFunction,
                format!(
                    "`{name}` carries k3s decorators but is not defined at the top level of its \
                     module; only module-level functions are discovered"
                ),
            )
            .at(function.name_span)
            .field(name)
            .help("move the function out of the class, function or block it is defined in"),
        );
        return None;
    }
    let mut serverless: Option<&PyDecorator> = None;
    let mut trigger: Option<(Kind, &PyDecorator)> = None;
    for decorator in &function.decorators {
        let Some(kind) = Kind::of(decorator) else {
            continue;
        };
        if kind == Kind::Serverless {
            if let Some(first) = serverless {
                diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateDecorator,
                        format!("`{name}` has @serverless twice"),
                    )
                    .at(decorator.span)
                    .field(format!("{name}.@serverless"))
                    .label(first.span, "first @serverless here"),
                );
            } else {
                serverless = Some(decorator);
            }
        } else if let Some((first_kind, first)) = trigger {
            diagnostics.push(
                Diagnostic::error(
                    Code::MultipleTriggers,
                    format!(
                        "`{name}` has a second trigger, @{}, after @{}; a function has exactly one \
                         trigger",
                        kind.name(),
                        first_kind.name()
                    ),
                )
                .at(decorator.span)
                .field(format!("{name}.@{}", kind.name()))
                .label(first.span, "first trigger here")
                .help("split it into one function per trigger"),
            );
        } else {
            trigger = Some((kind, decorator));
        }
    }
    let settings = serverless
        .map(|decorator| read_serverless(name, decorator, diagnostics))
        .unwrap_or_default();
    let trigger = match trigger {
        Some((Kind::Http, decorator)) => read_http(name, decorator, diagnostics).map(Trigger::Http),
        Some((Kind::Queue, decorator)) => {
            read_queue(name, decorator, diagnostics).map(Trigger::Queue)
        }
        Some((Kind::Schedule, decorator)) => {
            read_schedule(name, decorator, diagnostics).map(Trigger::Schedule)
        }
        Some((Kind::Serverless, _)) => unreachable!("@serverless is not a trigger"),
        None => {
            diagnostics.push(
                Diagnostic::error(
                    Code::MissingTrigger,
                    format!("`{name}` has @serverless but no trigger; it needs one of {TRIGGERS}"),
                )
                .at(function.name_span)
                .field(name)
                .help("add e.g. @http_trigger(path=\"/api/...\") above or below @serverless"),
            );
            None
        }
    };
    if diagnostics.error_count() > errors_before {
        return None;
    }
    Some((settings, trigger?))
}

fn read_serverless(
    function: &str,
    decorator: &PyDecorator,
    diagnostics: &mut Diagnostics,
) -> FunctionSettings {
    let mut args = Arguments::new(function, Kind::Serverless, decorator, diagnostics);
    let settings = FunctionSettings {
        memory: args.string("memory"),
        cpu: args.string("cpu"),
        memory_limit: args.string("memory_limit"),
        cpu_limit: args.string("cpu_limit"),
        ephemeral_storage: args.string("ephemeral_storage"),
        min_instances: args.count("min_instances", 0),
        max_instances: args.count("max_instances", 1),
        cooldown_period: args.count("cooldown_period", 0),
        target_pending_requests: args.count("target_pending_requests", 1),
        timeout: args.count("timeout", 1),
        visibility: args.choice("visibility", false),
        environment: args.environment("environment"),
        secrets: args.strings("secrets"),
        service_account: args.string("service_account"),
        name: args.string("name"),
    };
    if let (Some(min), Some(max)) = (&settings.min_instances, &settings.max_instances)
        && min.value > max.value
    {
        args.bad_value(
            "min_instances",
            min.span,
            format!(
                "min_instances ({}) is greater than max_instances ({})",
                min.value, max.value
            ),
        )
        .labels
        .push((max.span, "max_instances is set here".to_string()));
    }
    settings
}

fn read_http(
    function: &str,
    decorator: &PyDecorator,
    diagnostics: &mut Diagnostics,
) -> Option<HttpTrigger> {
    let mut args = Arguments::new(function, Kind::Http, decorator, diagnostics);
    let path = args.string("path");
    let path = args.required("path", path, "path=\"/api/hello\"");
    if let Some(path) = &path
        && (!path.value.starts_with('/') || path.value.contains(char::is_whitespace))
    {
        args.bad_value(
            "path",
            path.span,
            format!(
                "the path must start with `/` and contain no spaces, found {:?}",
                path.value
            ),
        );
    }
    let methods = args.methods("methods");
    let strip_prefix = args.flag("strip_prefix");
    let hosts = args.strings("hosts");
    Some(HttpTrigger {
        path: path?,
        methods,
        strip_prefix,
        hosts,
        span: decorator.span,
    })
}

fn read_queue(
    function: &str,
    decorator: &PyDecorator,
    diagnostics: &mut Diagnostics,
) -> Option<QueueTrigger> {
    let mut args = Arguments::new(function, Kind::Queue, decorator, diagnostics);
    let queue_name = args.string("queue_name");
    let queue_name = args.required("queue_name", queue_name, "queue_name=\"tasks\"");
    let batch_size = args.count("batch_size", 1);
    let visibility_timeout = args.count("visibility_timeout", 1);
    let queue_type = args.choice("queue_type", false);
    let consumer_group = args.string("consumer_group");
    let queue_length = args.count("queue_length", 1);
    let mode = args.choice("mode", false);
    let queue_type = queue_type.unwrap_or_else(|| Spanned::builtin(QueueType::List));
    if let Some(group) = &consumer_group
        && queue_type.value != QueueType::Stream
    {
        args.bad_value(
            "consumer_group",
            group.span,
            "a consumer group applies only to `queue_type=\"stream\"`; lists have none",
        );
    }
    Some(QueueTrigger {
        queue_name: queue_name?,
        batch_size: batch_size.unwrap_or_else(|| Spanned::builtin(1)),
        visibility_timeout,
        queue_type,
        consumer_group,
        queue_length,
        mode: mode.unwrap_or_else(|| Spanned::builtin(QueueMode::Worker)),
        span: decorator.span,
    })
}

fn read_schedule(
    function: &str,
    decorator: &PyDecorator,
    diagnostics: &mut Diagnostics,
) -> Option<ScheduleTrigger> {
    let mut args = Arguments::new(function, Kind::Schedule, decorator, diagnostics);
    let cron = args.string("cron");
    let cron = args.required("cron", cron, "cron=\"0 * * * *\"");
    if let Some(cron) = &cron
        && let Err(message) = validate_cron(&cron.value)
    {
        args.bad_value("cron", cron.span, message);
    }
    let timezone = args.string("timezone");
    if let Some(timezone) = &timezone
        && !is_time_zone_name(&timezone.value)
    {
        args.bad_value(
            "timezone",
            timezone.span,
            format!(
                "time zone {:?} is neither `UTC` nor an `Area/Location` name such as \
                 `Europe/Berlin`",
                timezone.value
            ),
        );
    }
    let concurrency_policy = args.choice("concurrency_policy", false);
    let starting_deadline_seconds = args.count("starting_deadline_seconds", 0);
    let suspend = args.flag("suspend");
    Some(ScheduleTrigger {
        cron: cron?,
        timezone: timezone.unwrap_or_else(|| Spanned::builtin("UTC".to_string())),
        concurrency_policy: concurrency_policy
            .unwrap_or_else(|| Spanned::builtin(ConcurrencyPolicy::Forbid)),
        starting_deadline_seconds,
        suspend,
        span: decorator.span,
    })
}

/// `UTC`, or IANA-shaped `Area/Location[/More]` (letters, digits, `_`, `+`, `-`); there is no
/// time zone database here, so `Mars/Olympus` passes.
fn is_time_zone_name(name: &str) -> bool {
    if name == "UTC" {
        return true;
    }
    let segments: Vec<&str> = name.split('/').collect();
    segments.len() >= 2
        && segments.iter().all(|segment| {
            segment.starts_with(|c: char| c.is_ascii_alphabetic())
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'))
        })
}

/// A Kubernetes environment variable name: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '-' | '.' | '_'))
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// The keyword arguments of one decorator, checked for names, literalness and duplicates on
/// construction; the typed getters then check one argument each.
struct Arguments<'a> {
    function: &'a str,
    kind: Kind,
    decorator: Span,
    /// Known argument names that were written, with their literal (possibly `None`).
    given: BTreeMap<&'static str, &'a PyValue>,
    /// Known argument names written with a value that could not be read (already reported).
    unreadable: Vec<&'static str>,
    diagnostics: &'a mut Diagnostics,
}

impl<'a> Arguments<'a> {
    fn new(
        function: &'a str,
        kind: Kind,
        decorator: &'a PyDecorator,
        diagnostics: &'a mut Diagnostics,
    ) -> Arguments<'a> {
        static NO_CALL: PyCall = PyCall {
            positional: Vec::new(),
            unpacked: Vec::new(),
            keywords: Vec::new(),
        };
        let call = decorator.call.as_ref().unwrap_or(&NO_CALL);
        let mut args = Arguments {
            function,
            kind,
            decorator: decorator.span,
            given: BTreeMap::new(),
            unreadable: Vec::new(),
            diagnostics,
        };
        let decorator_name = kind.name();
        for span in &call.positional {
            args.diagnostics.push(
                Diagnostic::error(
                    Code::PositionalArgument,
                    format!(
                        "@{decorator_name} takes keyword arguments only (`name=value`); found a \
                         positional argument"
                    ),
                )
                .at(*span)
                .field(format!("{function}.@{decorator_name}"))
                .help(format!(
                    "@{decorator_name} takes: {}",
                    kind.arguments().join(", ")
                )),
            );
        }
        for span in &call.unpacked {
            args.diagnostics.push(
                Diagnostic::error(
                    Code::NotLiteral,
                    format!(
                        "`**` arguments of @{decorator_name} cannot be read without running the \
                         code; write each argument as `name=value` with a literal value"
                    ),
                )
                .at(*span)
                .field(format!("{function}.@{decorator_name}")),
            );
        }
        let mut first_spans: BTreeMap<&'static str, Span> = BTreeMap::new();
        for keyword in &call.keywords {
            let Some(&name) = kind.arguments().iter().find(|n| **n == keyword.name) else {
                let mut diagnostic = Diagnostic::error(
                    Code::UnknownArgument,
                    format!("unknown argument `{}` of @{decorator_name}", keyword.name),
                )
                .at(keyword.name_span)
                .field(format!("{function}.@{decorator_name}.{}", keyword.name));
                diagnostic = match did_you_mean(&keyword.name, kind.arguments().iter().copied()) {
                    Some(close) => diagnostic.help(format!("did you mean `{close}`?")),
                    None => diagnostic.help(format!(
                        "@{decorator_name} takes: {}",
                        kind.arguments().join(", ")
                    )),
                };
                args.diagnostics.push(diagnostic);
                continue;
            };
            if let Some(&first) = first_spans.get(name) {
                args.diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateArgument,
                        format!("argument `{name}` of @{decorator_name} is given twice"),
                    )
                    .at(keyword.name_span)
                    .field(args.field(name))
                    .label(first, "first given here"),
                );
                continue;
            }
            first_spans.insert(name, keyword.name_span);
            match &keyword.value {
                Ok(value) => {
                    args.given.insert(name, value);
                }
                Err(not_literal) => {
                    args.unreadable.push(name);
                    args.diagnostics.push(
                        Diagnostic::error(
                            Code::NotLiteral,
                            format!(
                                "argument `{name}` of @{decorator_name} must be a literal \
                                 (string, number, boolean, None, or a list/dict of them); found {}",
                                not_literal.found
                            ),
                        )
                        .at(not_literal.span)
                        .field(args.field(name))
                        .help(
                            "k3s reads decorators without running your code, so values must \
                             be written out in place",
                        ),
                    );
                }
            }
        }
        args
    }

    /// `hello_world.@serverless.timeout`
    fn field(&self, name: &str) -> String {
        format!("{}.@{}.{}", self.function, self.kind.name(), name)
    }

    /// The literal written for `name`; `None` when absent, `None` in Python, or unreadable.
    fn value(&self, name: &str) -> Option<&'a PyValue> {
        self.given
            .get(name)
            .copied()
            .filter(|value| value.literal != PyLiteral::None)
    }

    fn push(&mut self, diagnostic: Diagnostic) -> &mut Diagnostic {
        self.diagnostics.push(diagnostic);
        self.diagnostics.items.last_mut().expect("just pushed")
    }

    fn bad_value(&mut self, name: &str, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        let field = self.field(name);
        self.push(
            Diagnostic::error(Code::BadValue, message)
                .at(span)
                .field(field),
        )
    }

    fn wrong_type(&mut self, name: &str, expected: &str, value: &PyValue) -> &mut Diagnostic {
        let field = self.field(name);
        self.push(
            Diagnostic::error(
                Code::WrongType,
                format!("expected {expected}, found {}", value.literal.describe()),
            )
            .at(value.span)
            .field(field),
        )
    }

    /// Reports a required argument that is absent or `None`; passes the value through.
    fn required<T>(&mut self, name: &str, value: Option<T>, example: &str) -> Option<T> {
        if value.is_some() || self.unreadable.contains(&name) {
            return value;
        }
        let written = self.given.get(name).copied();
        if written.is_some_and(|w| w.literal != PyLiteral::None) {
            // Written with a value of the wrong type or shape: already reported.
            return None;
        }
        let decorator = self.kind.name();
        let field = self.field(name);
        self.push(
            Diagnostic::error(
                Code::MissingArgument,
                format!("@{decorator} needs `{name}`, e.g. @{decorator}({example})"),
            )
            .at(written.map_or(self.decorator, |w| w.span))
            .field(field),
        );
        None
    }

    fn string(&mut self, name: &str) -> Option<Spanned<String>> {
        let value = self.value(name)?;
        self.string_value(name, value)
    }

    fn string_value(&mut self, name: &str, value: &PyValue) -> Option<Spanned<String>> {
        match &value.literal {
            PyLiteral::Str(text) if text.trim().is_empty() => {
                self.bad_value(name, value.span, format!("`{name}` must not be empty"));
                None
            }
            PyLiteral::Str(text) => Some(Spanned::new(text.clone(), value.span)),
            _ => {
                self.wrong_type(name, "a string", value);
                None
            }
        }
    }

    /// A whole number of at least `min`.
    fn count(&mut self, name: &str, min: u32) -> Option<Spanned<u32>> {
        let value = self.value(name)?;
        let number = match &value.literal {
            PyLiteral::Int(number) => *number,
            PyLiteral::BigInt(text) => {
                self.bad_value(
                    name,
                    value.span,
                    format!("integer {text} is too large (at most {})", u32::MAX),
                );
                return None;
            }
            _ => {
                self.wrong_type(name, "an integer", value);
                return None;
            }
        };
        if number < i64::from(min) {
            let message = match min {
                0 => format!("expected a non-negative integer, found integer {number}"),
                _ => format!("must be at least {min}, found integer {number}"),
            };
            self.bad_value(name, value.span, message);
            return None;
        }
        match u32::try_from(number) {
            Ok(number) => Some(Spanned::new(number, value.span)),
            Err(_) => {
                self.bad_value(
                    name,
                    value.span,
                    format!("integer {number} is too large (at most {})", u32::MAX),
                );
                None
            }
        }
    }

    fn flag(&mut self, name: &str) -> Option<Spanned<bool>> {
        let value = self.value(name)?;
        match value.literal {
            PyLiteral::Bool(flag) => Some(Spanned::new(flag, value.span)),
            _ => {
                self.wrong_type(name, "True or False", value);
                None
            }
        }
    }

    /// A list (or tuple) of strings; empty when absent.
    fn strings(&mut self, name: &str) -> Vec<Spanned<String>> {
        let Some(value) = self.value(name) else {
            return Vec::new();
        };
        let PyLiteral::List(items) = &value.literal else {
            let single = matches!(value.literal, PyLiteral::Str(_));
            let example = value.span.text();
            let diagnostic = self.wrong_type(name, "a list of strings", value);
            if single {
                diagnostic.help.push(format!("write [{example}]"));
            }
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.string_value(name, item))
            .collect()
    }

    fn choice<T: Choice>(&mut self, name: &str, ignore_case: bool) -> Option<Spanned<T>> {
        let value = self.value(name)?;
        self.choice_value(name, value, ignore_case)
    }

    fn choice_value<T: Choice>(
        &mut self,
        name: &str,
        value: &PyValue,
        ignore_case: bool,
    ) -> Option<Spanned<T>> {
        let expected = T::ALL
            .iter()
            .map(|(_, text)| format!("\"{text}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let PyLiteral::Str(text) = &value.literal else {
            self.wrong_type(name, &format!("one of {expected}"), value);
            return None;
        };
        let found = T::ALL.iter().find(|(_, candidate)| {
            *candidate == text || (ignore_case && candidate.eq_ignore_ascii_case(text))
        });
        if let Some((choice, _)) = found {
            return Some(Spanned::new(*choice, value.span));
        }
        let close = did_you_mean(text, T::ALL.iter().map(|(_, candidate)| *candidate));
        let diagnostic = self.bad_value(
            name,
            value.span,
            format!(
                "expected one of {expected}, found {}",
                value.literal.describe()
            ),
        );
        if let Some(close) = close {
            diagnostic.help.push(format!("did you mean \"{close}\"?"));
        }
        None
    }

    /// HTTP method names in any case, stored upper case, each once.
    fn methods(&mut self, name: &str) -> Vec<Spanned<HttpMethod>> {
        let Some(value) = self.value(name) else {
            return Vec::new();
        };
        let PyLiteral::List(items) = &value.literal else {
            let single = matches!(value.literal, PyLiteral::Str(_));
            let example = value.span.text();
            let diagnostic = self.wrong_type(name, "a list of HTTP methods", value);
            if single {
                diagnostic.help.push(format!("write [{example}]"));
            }
            return Vec::new();
        };
        let mut methods: Vec<Spanned<HttpMethod>> = Vec::new();
        for item in items {
            let Some(method) = self.choice_value::<HttpMethod>(name, item, true) else {
                continue;
            };
            if let Some(first) = methods.iter().find(|m| m.value == method.value) {
                let first = first.span;
                self.bad_value(
                    name,
                    method.span,
                    format!("method {} is listed twice", method.value),
                )
                .labels
                .push((first, "first listed here".to_string()));
                continue;
            }
            methods.push(method);
        }
        methods
    }

    /// A dict of variable name → string, integer or boolean.
    fn environment(&mut self, name: &str) -> BTreeMap<Spanned<String>, Spanned<String>> {
        let mut environment = BTreeMap::new();
        let Some(value) = self.value(name) else {
            return environment;
        };
        let PyLiteral::Dict(items) = &value.literal else {
            self.wrong_type(name, "a dict of variable names to values", value);
            return environment;
        };
        for (key, item) in items {
            let PyLiteral::Str(variable) = &key.literal else {
                self.wrong_type(name, "a variable name (a string)", key);
                continue;
            };
            if !is_env_name(variable) {
                self.bad_value(
                    name,
                    key.span,
                    format!(
                        "{variable:?} is not a valid environment variable name (letters, digits, \
                         `_`, `-`, `.`; not starting with a digit)"
                    ),
                );
                continue;
            }
            let text = match &item.literal {
                PyLiteral::Str(text) => text.clone(),
                PyLiteral::Int(number) => number.to_string(),
                PyLiteral::BigInt(text) => text.clone(),
                PyLiteral::Bool(true) => "True".to_string(),
                PyLiteral::Bool(false) => "False".to_string(),
                _ => {
                    self.wrong_type(name, "a string, integer or boolean", item);
                    continue;
                }
            };
            let key = Spanned::new(variable.clone(), key.span);
            if let Some((first, _)) = environment.get_key_value(&key) {
                let first: &Spanned<String> = first;
                let first = first.span;
                self.bad_value(
                    name,
                    key.span,
                    format!("variable `{variable}` is set twice"),
                )
                .labels
                .push((first, "first set here".to_string()));
                continue;
            }
            environment.insert(key, Spanned::new(text, item.span));
        }
        environment
    }
}
