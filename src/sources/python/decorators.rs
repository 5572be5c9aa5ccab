//! The decorators k3s reads (`@serverless` and one trigger) turned into typed settings: every
//! argument's name, type and value is checked here. Nothing here walks files or renders objects.
//!
//! The argument lists (names, order, which are required, minimums, built-in defaults) are not
//! written here: they are read from `runtime/python/k3sfn/decorators.json`, the file the Python
//! decorators' signatures are checked against, so the two sides cannot drift. Required
//! arguments (`queue_name`, `cron`) may be given by position, as Python allows; all others are
//! keyword arguments. `@serverless` and `@http_trigger` may be written bare.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

use super::parser::{PyCall, PyDecorator, PyFunction, PyLiteral, PyValue};
use crate::check::{check_label_key, check_label_value};
use crate::config::{ConcurrencyPolicy, QueueType, RuntimeAuth, Visibility};
use crate::cron::validate_cron;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span, did_you_mean};
use crate::names::check_dns_label;
use crate::yaml::Spanned;

/// The decorators' argument lists, shared with the Python package (see the module docs).
pub const DECORATORS_JSON: &str = include_str!("../../../runtime/python/k3sfn/decorators.json");

/// One argument as decorators.json describes it (what discovery uses of it; the tests also
/// read `type` and `choices`).
#[derive(Debug, Deserialize)]
pub struct ArgumentSpec<'a> {
    #[serde(borrow)]
    pub name: &'a str,
    #[serde(default)]
    pub required: bool,
    /// The built-in default (`null`: none, or "the project's setting").
    #[serde(default)]
    pub default: serde_json::Value,
    /// The smallest integer accepted.
    pub min: Option<i64>,
    /// `string`, `integer`, `boolean`, `choice`, `list` or `dict`.
    #[cfg(test)]
    #[serde(rename = "type", borrow)]
    pub kind: &'a str,
    #[cfg(test)]
    #[serde(default)]
    pub choices: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct DecoratorSpecs<'a> {
    #[serde(borrow)]
    serverless: Vec<ArgumentSpec<'a>>,
    #[serde(borrow)]
    http_trigger: Vec<ArgumentSpec<'a>>,
    #[serde(borrow)]
    queue_trigger: Vec<ArgumentSpec<'a>>,
    #[serde(borrow)]
    schedule_trigger: Vec<ArgumentSpec<'a>>,
}

fn specs() -> &'static DecoratorSpecs<'static> {
    static SPECS: OnceLock<DecoratorSpecs<'static>> = OnceLock::new();
    SPECS.get_or_init(|| {
        serde_json::from_str(DECORATORS_JSON).expect("decorators.json is valid (a test reads it)")
    })
}

/// The arguments of `@serverless`, `@http_trigger`, `@queue_trigger` or `@schedule_trigger`
/// (by decorator name), in decorators.json's order.
#[cfg(test)]
pub fn decorator_arguments(decorator: &str) -> Option<&'static [ArgumentSpec<'static>]> {
    [Kind::Serverless, Kind::Http, Kind::Queue, Kind::Schedule]
        .into_iter()
        .find(|kind| kind.name() == decorator)
        .map(Kind::arguments)
}

/// What a function gets for `@serverless` arguments that neither the decorator nor its entry
/// gives: decorators.json's built-in defaults.
#[derive(Debug, Clone)]
pub struct ServerlessDefaults {
    pub memory: String,
    pub cpu: String,
    pub min_instances: u32,
    pub max_instances: u32,
    pub timeout: u32,
    pub visibility: Visibility,
}

pub fn serverless_defaults() -> &'static ServerlessDefaults {
    static DEFAULTS: OnceLock<ServerlessDefaults> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let kind = Kind::Serverless;
        ServerlessDefaults {
            memory: kind.default_text("memory").to_string(),
            cpu: kind.default_text("cpu").to_string(),
            min_instances: kind.default_count("min_instances"),
            max_instances: kind.default_count("max_instances"),
            timeout: kind.default_count("timeout"),
            visibility: kind.default_choice("visibility"),
        }
    })
}

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
    /// Extra labels on the function's pods (checked label keys and values).
    pub labels: BTreeMap<Spanned<String>, Spanned<String>>,
    /// With `visibility="restricted"`: namespaces whose pods may call the function.
    pub allow_from_namespaces: Vec<Spanned<String>>,
    /// With `visibility="restricted"`: labels of pods (of its namespace) that may call it.
    pub allow_from_pods: BTreeMap<Spanned<String>, Spanned<String>>,
    /// Where `allow_from_pods` is written.
    pub allow_from_pods_span: Option<Span>,
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
    /// Starts with `/`; `/` when not given.
    pub path: Spanned<String>,
    /// Upper case, no duplicates; empty when not given (every method).
    pub methods: Vec<Spanned<HttpMethod>>,
    /// `None`: the project's (`serverless[].auth.type`), else none.
    pub auth: Option<Spanned<RuntimeAuth>>,
    /// The project's CORS settings apply (true when not given).
    pub cors: Spanned<bool>,
    /// Requests per minute per client, enforced by the ingress route.
    pub rate_limit: Option<Spanned<u32>>,
    pub strip_prefix: Option<Spanned<bool>>,
    pub hosts: Vec<Spanned<String>>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct QueueTrigger {
    pub queue_name: Spanned<String>,
    /// At least 1; 1 when not given.
    pub batch_size: Spanned<u32>,
    /// Seconds before a silent worker's messages are delivered again; 30 when not given.
    pub visibility_timeout: Spanned<u32>,
    /// `list` when not given.
    pub queue_type: Spanned<QueueType>,
    /// Only with `queue_type="stream"`.
    pub consumer_group: Option<Spanned<String>>,
    /// Target queue length per replica.
    pub queue_length: Option<Spanned<u32>>,
    /// `worker` when not given.
    pub mode: Spanned<QueueMode>,
    /// Deliveries of a message before it goes to `<queue_name>:dead`.
    pub max_attempts: Spanned<u32>,
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
    RuntimeAuth {
        None = "none",
        ApiKey = "api_key",
        Jwt = "jwt",
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

    /// The decorator's arguments, from decorators.json.
    fn arguments(self) -> &'static [ArgumentSpec<'static>] {
        let specs = specs();
        match self {
            Kind::Serverless => &specs.serverless,
            Kind::Http => &specs.http_trigger,
            Kind::Queue => &specs.queue_trigger,
            Kind::Schedule => &specs.schedule_trigger,
        }
    }

    fn names(self) -> impl Iterator<Item = &'static str> {
        self.arguments().iter().map(|a| a.name)
    }

    fn argument(self, name: &str) -> &'static ArgumentSpec<'static> {
        self.arguments()
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("decorators.json has no `{name}` for @{}", self.name()))
    }

    fn default_text(self, name: &str) -> &'static str {
        self.argument(name)
            .default
            .as_str()
            .unwrap_or_else(|| panic!("decorators.json: `{name}` has no string default"))
    }

    fn default_count(self, name: &str) -> u32 {
        self.argument(name)
            .default
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or_else(|| panic!("decorators.json: `{name}` has no integer default"))
    }

    fn default_flag(self, name: &str) -> bool {
        self.argument(name)
            .default
            .as_bool()
            .unwrap_or_else(|| panic!("decorators.json: `{name}` has no boolean default"))
    }

    fn default_choice<T: Choice>(self, name: &str) -> T {
        let text = self.default_text(name);
        T::ALL
            .iter()
            .find(|(_, candidate)| *candidate == text)
            .map(|(choice, _)| *choice)
            .unwrap_or_else(|| panic!("decorators.json: default `{text}` of `{name}` is no choice"))
    }

    /// The smallest integer `name` accepts (decorators.json's `min`, else 0, as in Python).
    fn minimum(self, name: &str) -> u32 {
        self.argument(name)
            .min
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(0)
    }

    /// The arguments that may be given by position: the leading required ones.
    fn positional(self) -> impl Iterator<Item = &'static str> {
        self.arguments()
            .iter()
            .take_while(|a| a.required)
            .map(|a| a.name)
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
    let allow_from_pods_span = args.value("allow_from_pods").map(|v| v.span);
    let settings = FunctionSettings {
        memory: args.string("memory"),
        cpu: args.string("cpu"),
        memory_limit: args.string("memory_limit"),
        cpu_limit: args.string("cpu_limit"),
        ephemeral_storage: args.string("ephemeral_storage"),
        min_instances: args.count("min_instances"),
        max_instances: args.count("max_instances"),
        cooldown_period: args.count("cooldown_period"),
        target_pending_requests: args.count("target_pending_requests"),
        timeout: args.count("timeout"),
        visibility: args.choice("visibility", false),
        environment: args.environment("environment"),
        secrets: args.strings("secrets"),
        labels: args.labels("labels"),
        allow_from_namespaces: args.namespaces("allow_from_namespaces"),
        allow_from_pods: args.labels("allow_from_pods"),
        allow_from_pods_span,
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
    args.finish();
    settings
}

fn read_http(
    function: &str,
    decorator: &PyDecorator,
    diagnostics: &mut Diagnostics,
) -> Option<HttpTrigger> {
    let kind = Kind::Http;
    let mut args = Arguments::new(function, kind, decorator, diagnostics);
    let path = args
        .string("path")
        .unwrap_or_else(|| Spanned::new(kind.default_text("path").to_string(), decorator.span));
    let path_ok = path.value.starts_with('/') && !path.value.contains(char::is_whitespace);
    if !path_ok {
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
    let auth = args.choice("auth", false);
    let cors = args
        .flag("cors")
        .unwrap_or_else(|| Spanned::new(kind.default_flag("cors"), decorator.span));
    let rate_limit = args.count("rate_limit");
    let strip_prefix = args.flag("strip_prefix");
    let hosts = args.strings("hosts");
    args.finish();
    path_ok.then_some(HttpTrigger {
        path,
        methods,
        auth,
        cors,
        rate_limit,
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
    let kind = Kind::Queue;
    let mut args = Arguments::new(function, kind, decorator, diagnostics);
    let queue_name = args.string("queue_name");
    let queue_name = args.required("queue_name", queue_name, "queue_name=\"tasks\"");
    let batch_size = args.count("batch_size");
    let visibility_timeout = args.count("visibility_timeout");
    let queue_type = args.choice("queue_type", false);
    let consumer_group = args.string("consumer_group");
    let queue_length = args.count("queue_length");
    let mode = args.choice("mode", false);
    let max_attempts = args.count("max_attempts");
    let queue_type =
        queue_type.unwrap_or_else(|| Spanned::builtin(kind.default_choice("queue_type")));
    if let Some(group) = &consumer_group
        && queue_type.value != QueueType::Stream
    {
        args.bad_value(
            "consumer_group",
            group.span,
            "a consumer group applies only to `queue_type=\"stream\"`; lists have none",
        );
    }
    args.finish();
    Some(QueueTrigger {
        queue_name: queue_name?,
        batch_size: batch_size
            .unwrap_or_else(|| Spanned::builtin(kind.default_count("batch_size"))),
        visibility_timeout: visibility_timeout
            .unwrap_or_else(|| Spanned::builtin(kind.default_count("visibility_timeout"))),
        queue_type,
        consumer_group,
        queue_length,
        mode: mode.unwrap_or_else(|| Spanned::builtin(kind.default_choice("mode"))),
        max_attempts: max_attempts
            .unwrap_or_else(|| Spanned::builtin(kind.default_count("max_attempts"))),
        span: decorator.span,
    })
}

fn read_schedule(
    function: &str,
    decorator: &PyDecorator,
    diagnostics: &mut Diagnostics,
) -> Option<ScheduleTrigger> {
    let kind = Kind::Schedule;
    let mut args = Arguments::new(function, kind, decorator, diagnostics);
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
    let starting_deadline_seconds = args.count("starting_deadline_seconds");
    let suspend = args.flag("suspend");
    args.finish();
    Some(ScheduleTrigger {
        cron: cron?,
        timezone: timezone
            .unwrap_or_else(|| Spanned::builtin(kind.default_text("timezone").to_string())),
        concurrency_policy: concurrency_policy
            .unwrap_or_else(|| Spanned::builtin(kind.default_choice("concurrency_policy"))),
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
    /// Names a getter has looked at: every argument of decorators.json must be read.
    read: BTreeSet<&'static str>,
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
            read: BTreeSet::new(),
            diagnostics,
        };
        let decorator_name = kind.name();
        let takes = || kind.names().collect::<Vec<_>>().join(", ");
        let positional: Vec<&'static str> = kind.positional().collect();
        let mut first_spans: BTreeMap<&'static str, Span> = BTreeMap::new();
        for (index, argument) in call.positional.iter().enumerate() {
            let Some(&name) = positional.get(index) else {
                let message = match positional.as_slice() {
                    [] => format!(
                        "@{decorator_name} takes keyword arguments only (`name=value`); found a \
                         positional argument"
                    ),
                    names => format!(
                        "@{decorator_name} takes only `{}` by position; give the others as \
                         `name=value`",
                        names.join("`, `")
                    ),
                };
                args.diagnostics.push(
                    Diagnostic::error(Code::PositionalArgument, message)
                        .at(argument.span)
                        .field(format!("{function}.@{decorator_name}"))
                        .help(format!("@{decorator_name} takes: {}", takes())),
                );
                continue;
            };
            first_spans.insert(name, argument.span);
            args.record(name, &argument.value);
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
        for keyword in &call.keywords {
            let Some(name) = kind.names().find(|n| *n == keyword.name) else {
                let mut diagnostic = Diagnostic::error(
                    Code::UnknownArgument,
                    format!("unknown argument `{}` of @{decorator_name}", keyword.name),
                )
                .at(keyword.name_span)
                .field(format!("{function}.@{decorator_name}.{}", keyword.name));
                diagnostic = match did_you_mean(&keyword.name, kind.names()) {
                    Some(close) => diagnostic.help(format!("did you mean `{close}`?")),
                    None => diagnostic.help(format!("@{decorator_name} takes: {}", takes())),
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
            args.record(name, &keyword.value);
        }
        args
    }

    /// Remembers the value written for `name`, or reports it when it is not a literal.
    fn record(
        &mut self,
        name: &'static str,
        value: &'a Result<PyValue, super::parser::NotLiteral>,
    ) {
        match value {
            Ok(value) => {
                self.given.insert(name, value);
            }
            Err(not_literal) => {
                self.unreadable.push(name);
                let field = self.field(name);
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::NotLiteral,
                        format!(
                            "argument `{name}` of @{} must be a literal (string, number, \
                             boolean, None, or a list/dict of them); found {}",
                            self.kind.name(),
                            not_literal.found
                        ),
                    )
                    .at(not_literal.span)
                    .field(field)
                    .help(
                        "k3s reads decorators without running your code, so values must be \
                         written out in place",
                    ),
                );
            }
        }
    }

    /// Every argument decorators.json lists has been read: none is accepted and then ignored.
    fn finish(self) {
        let unread: Vec<&str> = self
            .kind
            .names()
            .filter(|name| !self.read.contains(name))
            .collect();
        debug_assert!(
            unread.is_empty(),
            "@{} accepts {unread:?} (decorators.json) but never reads them",
            self.kind.name()
        );
    }

    /// `hello_world.@serverless.timeout`
    fn field(&self, name: &str) -> String {
        format!("{}.@{}.{}", self.function, self.kind.name(), name)
    }

    /// The literal written for `name`; `None` when absent, `None` in Python, or unreadable.
    fn value(&mut self, name: &str) -> Option<&'a PyValue> {
        if let Some(known) = self.kind.names().find(|n| *n == name) {
            self.read.insert(known);
        }
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

    /// A whole number of at least the argument's minimum.
    fn count(&mut self, name: &str) -> Option<Spanned<u32>> {
        let min = self.kind.minimum(name);
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

    /// A dict of label key → label value (both strings), each checked as Kubernetes does.
    fn labels(&mut self, name: &str) -> BTreeMap<Spanned<String>, Spanned<String>> {
        let mut labels = BTreeMap::new();
        let Some(value) = self.value(name) else {
            return labels;
        };
        let PyLiteral::Dict(items) = &value.literal else {
            self.wrong_type(name, "a dict of label names to strings", value);
            return labels;
        };
        for (key, item) in items {
            let PyLiteral::Str(label) = &key.literal else {
                self.wrong_type(name, "a label name (a string)", key);
                continue;
            };
            let PyLiteral::Str(text) = &item.literal else {
                self.wrong_type(name, "a label value (a string)", item);
                continue;
            };
            if let Err(problem) = check_label_key(label) {
                self.bad_value(name, key.span, format!("label key {label:?}: {problem}"));
                continue;
            }
            if let Err(problem) = check_label_value(text) {
                self.bad_value(
                    name,
                    item.span,
                    format!("label `{label}: {text}`: {problem}"),
                );
                continue;
            }
            let key = Spanned::new(label.clone(), key.span);
            if let Some((first, _)) = labels.get_key_value(&key) {
                let first: &Spanned<String> = first;
                let first = first.span;
                self.bad_value(name, key.span, format!("label `{label}` is set twice"))
                    .labels
                    .push((first, "first set here".to_string()));
                continue;
            }
            labels.insert(key, Spanned::new(text.clone(), item.span));
        }
        labels
    }

    /// A list of namespace names (DNS labels).
    fn namespaces(&mut self, name: &str) -> Vec<Spanned<String>> {
        let names = self.strings(name);
        names
            .into_iter()
            .filter(|namespace| match check_dns_label(&namespace.value, 63) {
                Ok(()) => true,
                Err(problem) => {
                    self.bad_value(
                        name,
                        namespace.span,
                        format!("namespace `{}` {problem}", namespace.value),
                    );
                    false
                }
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::diagnostic::SourceFile;

    fn decorator_of(source: &str) -> PyFunction {
        let file = SourceFile::register("t.py", source.to_string());
        let mut module = super::super::parser::parse(file);
        assert!(module.syntax_errors.is_empty(), "{source}");
        module.functions.remove(0)
    }

    /// A Python literal for a JSON default: `"x"`, `3`, `True`, `None`.
    fn python(value: &Value) -> String {
        match value {
            Value::Null => "None".to_string(),
            Value::Bool(true) => "True".to_string(),
            Value::Bool(false) => "False".to_string(),
            Value::String(text) => format!("{text:?}"),
            other => other.to_string(),
        }
    }

    fn spelled<T: Choice>(value: &Spanned<T>) -> Value {
        let (_, text) = T::ALL
            .iter()
            .find(|(c, _)| {
                // Choices are compared by spelling: every Choice is Copy + PartialEq via its table.
                std::mem::discriminant(c) == std::mem::discriminant(&value.value)
            })
            .expect("a choice of its own table");
        json!(text)
    }

    fn texts(values: &[Spanned<String>]) -> Value {
        if values.is_empty() {
            Value::Null
        } else {
            json!(values.iter().map(|v| v.value.clone()).collect::<Vec<_>>())
        }
    }

    fn map(values: &BTreeMap<Spanned<String>, Spanned<String>>) -> Value {
        if values.is_empty() {
            Value::Null
        } else {
            json!(
                values
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect::<BTreeMap<_, _>>()
            )
        }
    }

    fn opt<T: serde::Serialize>(value: &Option<Spanned<T>>) -> Value {
        value.as_ref().map_or(Value::Null, |v| json!(v.value))
    }

    /// What discovery made of each argument, by decorators.json name.
    fn read_back(kind: Kind, source: &str) -> BTreeMap<&'static str, Value> {
        let function = decorator_of(source);
        let mut d = Diagnostics::new();
        let (settings, trigger) =
            read(&function, &mut d).unwrap_or_else(|| panic!("{source}\n{}", d.render()));
        assert!(d.items.is_empty(), "{}", d.render());
        let s = &settings;
        match (kind, trigger) {
            (Kind::Serverless, _) => BTreeMap::from([
                ("memory", opt(&s.memory)),
                ("cpu", opt(&s.cpu)),
                ("memory_limit", opt(&s.memory_limit)),
                ("cpu_limit", opt(&s.cpu_limit)),
                ("ephemeral_storage", opt(&s.ephemeral_storage)),
                ("min_instances", opt(&s.min_instances)),
                ("max_instances", opt(&s.max_instances)),
                ("cooldown_period", opt(&s.cooldown_period)),
                ("target_pending_requests", opt(&s.target_pending_requests)),
                ("timeout", opt(&s.timeout)),
                ("environment", map(&s.environment)),
                ("secrets", texts(&s.secrets)),
                ("labels", map(&s.labels)),
                (
                    "visibility",
                    s.visibility.as_ref().map_or(Value::Null, spelled),
                ),
                ("allow_from_namespaces", texts(&s.allow_from_namespaces)),
                ("allow_from_pods", map(&s.allow_from_pods)),
                ("service_account", opt(&s.service_account)),
                ("name", opt(&s.name)),
            ]),
            (Kind::Http, Trigger::Http(t)) => BTreeMap::from([
                ("path", json!(t.path.value)),
                (
                    "methods",
                    if t.methods.is_empty() {
                        Value::Null
                    } else {
                        json!(
                            t.methods
                                .iter()
                                .map(|m| m.value.as_str())
                                .collect::<Vec<_>>()
                        )
                    },
                ),
                ("auth", t.auth.as_ref().map_or(Value::Null, spelled)),
                ("cors", json!(t.cors.value)),
                ("rate_limit", opt(&t.rate_limit)),
                ("strip_prefix", opt(&t.strip_prefix)),
                ("hosts", texts(&t.hosts)),
            ]),
            (Kind::Queue, Trigger::Queue(t)) => BTreeMap::from([
                ("queue_name", json!(t.queue_name.value)),
                ("batch_size", json!(t.batch_size.value)),
                ("visibility_timeout", json!(t.visibility_timeout.value)),
                ("queue_type", spelled(&t.queue_type)),
                ("consumer_group", opt(&t.consumer_group)),
                ("queue_length", opt(&t.queue_length)),
                ("mode", spelled(&t.mode)),
                ("max_attempts", json!(t.max_attempts.value)),
            ]),
            (Kind::Schedule, Trigger::Schedule(t)) => BTreeMap::from([
                ("cron", json!(t.cron.value)),
                ("timezone", json!(t.timezone.value)),
                ("concurrency_policy", spelled(&t.concurrency_policy)),
                (
                    "starting_deadline_seconds",
                    opt(&t.starting_deadline_seconds),
                ),
                ("suspend", opt(&t.suspend)),
            ]),
            (kind, trigger) => panic!("@{} read as {trigger:?}", kind.name()),
        }
    }

    const REQUIRED_SAMPLES: &[(&str, &str)] = &[("queue_name", "\"q\""), ("cron", "\"0 * * * *\"")];

    /// `@<decorator>(<arguments>)` on a function, with a trigger when the decorator is none.
    fn source(kind: Kind, arguments: &str) -> String {
        let other = match kind {
            Kind::Serverless => "@http_trigger\n",
            _ => "",
        };
        format!("@{}({arguments})\n{other}def f(x): pass\n", kind.name())
    }

    #[test]
    fn decorators_json_is_the_argument_list_discovery_reads_with_its_defaults() {
        for kind in [Kind::Serverless, Kind::Http, Kind::Queue, Kind::Schedule] {
            let names: Vec<&str> = kind.names().collect();
            let required: Vec<String> = kind
                .positional()
                .map(|name| {
                    let sample = REQUIRED_SAMPLES.iter().find(|(n, _)| *n == name).unwrap().1;
                    format!("{name}={sample}")
                })
                .collect();
            // Nothing written but what is required: what k3s applies for each argument.
            let omitted = read_back(kind, &source(kind, &required.join(", ")));
            assert_eq!(
                omitted.keys().copied().collect::<BTreeSet<_>>(),
                names.iter().copied().collect::<BTreeSet<_>>(),
                "@{}: the arguments discovery reads are decorators.json's",
                kind.name()
            );
            // Every argument written with decorators.json's default.
            let mut written = required.clone();
            for spec in kind.arguments().iter().filter(|a| !a.required) {
                written.push(format!("{}={}", spec.name, python(&spec.default)));
            }
            let explicit = read_back(kind, &source(kind, &written.join(", ")));
            for spec in kind.arguments().iter().filter(|a| !a.required) {
                assert_eq!(
                    explicit[spec.name],
                    spec.default,
                    "@{}({}=…) reads back as decorators.json's default",
                    kind.name(),
                    spec.name
                );
                // Triggers apply the built-in default themselves; @serverless leaves an
                // unwritten argument to the entry (then the default; lower/function tests).
                if kind != Kind::Serverless {
                    assert_eq!(
                        omitted[spec.name],
                        spec.default,
                        "@{} without `{}` applies decorators.json's default",
                        kind.name(),
                        spec.name
                    );
                }
            }
        }
        let defaults = serverless_defaults();
        assert_eq!(
            (
                defaults.memory.as_str(),
                defaults.cpu.as_str(),
                defaults.timeout
            ),
            ("256Mi", "100m", 30)
        );
        assert_eq!((defaults.min_instances, defaults.max_instances), (0, 10));
        assert_eq!(defaults.visibility, Visibility::Private);
    }

    #[test]
    fn choices_and_minimums_are_decorators_json() {
        fn spellings<T: Choice>() -> Vec<String> {
            T::ALL.iter().map(|(_, text)| text.to_string()).collect()
        }
        let choices = |decorator: &str, name: &str| -> Vec<String> {
            decorator_arguments(decorator)
                .unwrap()
                .iter()
                .find(|a| a.name == name)
                .unwrap()
                .choices
                .clone()
        };
        assert_eq!(
            choices("serverless", "visibility"),
            spellings::<Visibility>()
        );
        assert_eq!(
            choices("http_trigger", "methods"),
            spellings::<HttpMethod>()
        );
        assert_eq!(choices("http_trigger", "auth"), spellings::<RuntimeAuth>());
        assert_eq!(
            choices("queue_trigger", "queue_type"),
            spellings::<QueueType>()
        );
        assert_eq!(choices("queue_trigger", "mode"), spellings::<QueueMode>());
        assert_eq!(
            choices("schedule_trigger", "concurrency_policy"),
            spellings::<ConcurrencyPolicy>()
        );
        // Every argument of a type discovery reads with a typed getter.
        for kind in [Kind::Serverless, Kind::Http, Kind::Queue, Kind::Schedule] {
            for spec in kind.arguments() {
                assert!(
                    ["string", "integer", "boolean", "choice", "list", "dict"].contains(&spec.kind),
                    "{}: type {}",
                    spec.name,
                    spec.kind
                );
                if spec.kind == "integer" {
                    // One below the minimum is refused, the minimum accepted.
                    let min = kind.minimum(spec.name);
                    let mut required: Vec<String> = REQUIRED_SAMPLES
                        .iter()
                        .filter(|(n, _)| kind.positional().any(|p| p == *n))
                        .map(|(n, v)| format!("{n}={v}"))
                        .collect();
                    required.push(format!("{}={min}", spec.name));
                    read_back(kind, &source(kind, &required.join(", ")));
                    if min > 0 {
                        *required.last_mut().unwrap() = format!("{}={}", spec.name, min - 1);
                        let function = decorator_of(&source(kind, &required.join(", ")));
                        let mut d = Diagnostics::new();
                        assert!(
                            read(&function, &mut d).is_none(),
                            "{} below {min}",
                            spec.name
                        );
                        assert_eq!(d.items[0].code, Code::BadValue);
                    }
                }
            }
        }
    }
}
