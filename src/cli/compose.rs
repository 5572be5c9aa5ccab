//! `k3s compose`: one compose entry's manifests (`generate`), compose files on their own or with
//! an entry's or a settings file's per-service settings (`convert`), a starting apps.yaml entry
//! (`init`), and the parsed model (`parse`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use super::generate::ImageArgs;
use super::{CommandResult, Context, EXIT_OK, Failure, print_diagnostics, section};
use crate::config::{ComposeEntry, ComposeSettings, OneOrMany, Section, SettingsSource};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::emit::{Owner, Tree, convert_header, holds_secret, write_files};
use crate::lower::{ServiceHints, TreeLocation, init_hints};
use crate::names::to_dns_label;
use crate::pipeline::{EntryOutput, PlanOptions, plan_resolved};
use crate::resolve::{Entry, Resolved, Variables};
use crate::sources::compose::{LoadOptions, default_compose_files, load_project};
use crate::yaml::Spanned;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ComposeCommand,
}

#[derive(Debug, Subcommand)]
pub enum ComposeCommand {
    /// Print one compose entry's manifests for one environment (or write them under --output-dir)
    #[command(
        after_help = "Examples:\n  k3s compose generate shop\n  k3s compose generate shop --env gcp --output-dir out",
        mut_arg("output_dir", |a| a.help("Write DIR/compose/NAME/manifests.yaml instead of printing"))
    )]
    Generate(GenerateArgs),
    /// Convert compose files to Kubernetes manifests: on their own, with a settings file
    /// (--settings), or with an apps.yaml compose entry's settings (--entry)
    #[command(
        after_help = "Examples:\n  k3s compose convert compose.yaml\n  k3s compose convert compose.yaml compose.prod.yaml --namespace shop --output-dir out\n  k3s compose convert --entry shop --env gcp",
        mut_arg("output_dir", |a| a.help("Write DIR/compose/NAME/manifests.yaml instead of printing"))
    )]
    Convert(Box<ConvertArgs>),
    /// Print an apps.yaml `compose:` entry, pre-filled where conversion needs a decision
    #[command(after_help = "Examples:\n  k3s compose init ./shop --name shop >> apps.yaml")]
    Init(InitArgs),
    /// Print a compose project as k3s reads it: merged, interpolated, in long form
    #[command(
        after_help = "Examples:\n  k3s compose parse .\n  k3s compose parse compose.yaml --profile debug -o json"
    )]
    Parse(ParseArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The compose entry's name in apps.yaml
    #[arg(add = clap_complete::ArgValueCandidates::new(super::completions::compose))]
    pub name: String,
    /// Environment [default: the first declared]
    #[arg(short, long = "env", value_name = "ENV", add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
    pub env: Option<String>,
    #[command(flatten)]
    pub output: super::ManifestOutput,
}

#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// Compose files, merged in order (like `docker compose -f`) [default with --entry: the
    /// entry's]
    #[arg(required_unless_present = "entry", value_name = "COMPOSE_FILE")]
    pub files: Vec<PathBuf>,
    /// Namespace of every object [default: the entry's with --entry, else `default`]
    #[arg(short, long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Name prefix of the objects [default: the entry's, else the compose project's name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub output: super::ManifestOutput,
    /// Read variables from this file instead of the project's .env
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Activate a compose profile; repeatable
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Registry of the images the project builds [default: the environment's with --entry]
    #[arg(long, value_name = "REGISTRY")]
    pub registry: Option<String>,
    /// Per-service settings, as under a `compose:` entry of apps.yaml (`services.<name>`,
    /// `defaults`, `network`, `security`)
    #[arg(long, value_name = "FILE", conflicts_with = "entry")]
    pub settings: Option<PathBuf>,
    /// Take the settings (and the environment's registry, secret store and namespace) from this
    /// `compose:` entry of apps.yaml (`-f` names apps.yaml)
    #[arg(long, value_name = "NAME", add = clap_complete::ArgValueCandidates::new(super::completions::compose))]
    pub entry: Option<String>,
    /// The environment of --entry [default: the first declared]
    #[arg(short, long = "env", value_name = "ENV", requires = "entry", add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
    pub env: Option<String>,
    #[command(flatten)]
    pub images: ImageArgs,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The project's directory or compose file
    pub path: PathBuf,
    /// Name of the entry (and prefix of its objects)
    #[arg(long, value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, clap::Args)]
pub struct ParseArgs {
    /// The project's directory or compose file(s)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub output: ModelFormat,
    /// Activate a compose profile; repeatable
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ModelFormat {
    #[default]
    Yaml,
    Json,
}

pub fn run(context: &Context, args: &Args) -> CommandResult {
    match &args.command {
        ComposeCommand::Generate(args) => generate(context, args),
        ComposeCommand::Convert(args) => convert(context, args),
        ComposeCommand::Init(args) => init(context, args),
        ComposeCommand::Parse(args) => parse(context, args),
    }
}

/// Plans the whole environment (apps.yaml is checked as a whole), like `k3s app generate`.
fn generate(context: &Context, args: &GenerateArgs) -> CommandResult {
    section::generate_entry(
        context,
        Section::Compose,
        &args.name,
        args.env.as_deref(),
        args.output.dir().as_deref(),
        &Path::new("compose").join(&args.name),
    )?;
    Ok(EXIT_OK)
}

fn convert(context: &Context, args: &ConvertArgs) -> CommandResult {
    let cwd = std::env::current_dir()?;
    let base = match &args.entry {
        Some(name) => Some(apps_yaml_entry(context, name, args.env.as_deref())?),
        None => None,
    };
    let files: Vec<PathBuf> = match &base {
        Some((resolved, entry)) if args.files.is_empty() => entry_files(resolved, entry)?,
        _ => args.files.iter().map(|f| cwd.join(f)).collect(),
    };
    for file in &files {
        if !file.is_file() {
            return Err(Failure::Usage(format!("{} does not exist", file.display())));
        }
    }
    let variables = match &base {
        Some((resolved, _)) => resolved.variables.clone(),
        None => Variables::from_inputs(&context.inputs),
    };
    let entry_spec = base.as_ref().map(|(_, entry)| &entry.spec);
    let entry_variables = entry_spec.map(|s| s.variables.clone()).unwrap_or_default();
    let env_file = match (&args.env_file, &base) {
        (Some(file), _) => Some(cwd.join(file)),
        (None, Some((resolved, entry))) => entry
            .spec
            .env_file
            .as_ref()
            .map(|f| resolved.dir.join(&f.value)),
        (None, None) => None,
    };
    // Loaded once here for the project's name; the plan below loads it again and reports.
    let options = LoadOptions {
        project_name: args
            .name
            .clone()
            .or_else(|| base.as_ref().map(|(_, e)| e.name.value.clone())),
        profiles: if args.profiles.is_empty() {
            entry_spec.map(|s| s.profiles.clone()).unwrap_or_default()
        } else {
            args.profiles.clone()
        },
        env_file,
        variables: variables.for_compose(&entry_variables),
        root: base.as_ref().map(|(resolved, _)| resolved.dir.clone()),
        allow_outside: entry_spec.and_then(|s| s.allow_outside_project) == Some(true),
    };
    let project = load_project(&files, &options).map_err(Failure::Invalid)?;
    let name = to_dns_label(options.project_name.as_deref().unwrap_or(&project.name));
    if name.is_empty() {
        return Err(Failure::Usage(
            "the project has no usable name: give one with --name".to_string(),
        ));
    }
    let namespace = args
        .namespace
        .clone()
        .or_else(|| base.as_ref().map(|(_, e)| e.namespace.clone()))
        .unwrap_or_else(|| "default".to_string());
    if let Err(problem) = crate::names::check_dns_label(&namespace, 63) {
        return Err(Failure::Usage(format!("namespace `{namespace}` {problem}")));
    }
    let mut entry = standalone_entry(&name, &namespace, &files, &options);
    entry.spec.variables = entry_variables;
    let mut resolved = match base {
        Some((mut resolved, apps_yaml)) => {
            // Only this entry: nothing else of apps.yaml is converted.
            resolved.apps.clear();
            resolved.serverless.clear();
            resolved.helm.clear();
            resolved.gateway = None;
            let spec = apps_yaml.spec;
            entry.spec.defaults = spec.defaults;
            entry.spec.services = spec.services;
            entry.spec.network = spec.network;
            entry.spec.security = spec.security;
            resolved
        }
        None => {
            // The compose project's directory is the project: what it reads must lie below it.
            let project_dir = files[0].parent().unwrap_or(&cwd).to_path_buf();
            let mut resolved = Resolved::standalone("default", project_dir);
            resolved.variables = variables;
            entry.spec.settings_source = SettingsSource::Convert;
            if let Some(path) = &args.settings {
                let settings = read_settings(&cwd.join(path))?;
                entry.spec.defaults = settings.defaults;
                entry.spec.services = settings.services;
                entry.spec.network = settings.network;
                entry.spec.security = settings.security;
                entry.spec.visibility = settings.visibility;
                entry.spec.network_policy = settings.network_policy;
                resolved.defaults.secret_store = settings.secret_store;
                entry.spec.settings_source = SettingsSource::File(path.display().to_string());
            }
            resolved
        }
    };
    if let Some(registry) = &args.registry {
        resolved.registry = Some(registry.clone());
    }
    resolved.namespace = namespace;
    resolved.compose = vec![entry];
    let images = args.images.tags()?;
    let location = TreeLocation {
        manifests_only: true,
        ..TreeLocation::default()
    };
    let plan = plan_resolved(
        resolved,
        &PlanOptions {
            inputs: &context.inputs,
            images: &images,
            location: &location,
            documents: true,
        },
    )
    .map_err(Failure::Invalid)?;
    let mut diagnostics = plan.warnings.clone();
    diagnostics.extend(images.unused());
    if diagnostics.has_errors() {
        return Err(Failure::Invalid(diagnostics));
    }
    print_diagnostics(&diagnostics);
    let output = &plan.entries[0];
    for note in &output.lowered.notes {
        eprintln!("note: {note}");
    }
    for build in &output.lowered.builds {
        eprintln!(
            "note: `{}` is built from {}; the manifests use `{}`",
            build.name,
            crate::diagnostic::display_path(&build.context).display(),
            build.reference
        );
    }
    let given: Vec<String> = files
        .iter()
        .map(|f| crate::diagnostic::display_path(f).display().to_string())
        .collect();
    let text = document(&convert_header(&given.join(", ")), &output.documents);
    emit(output, text, args.output.dir().as_deref())
}

/// The environment `env` (or the first) of apps.yaml and its compose entry `name`, for
/// `convert --entry`.
fn apps_yaml_entry(
    context: &Context,
    name: &str,
    env: Option<&str>,
) -> Result<(Resolved, Entry<ComposeEntry>), Failure> {
    let (project, loaded) = context.load()?;
    if loaded.has_errors() {
        return Err(Failure::Invalid(loaded));
    }
    let env = section::environment(context, env)?;
    let resolved =
        crate::resolve::resolve(&project, &env, &context.inputs).map_err(Failure::Invalid)?;
    if let Some(entry) = resolved.compose.iter().find(|e| e.name.value == name) {
        return Ok((resolved.clone(), entry.clone()));
    }
    let disabled = resolved
        .disabled
        .iter()
        .any(|(s, n)| *s == Section::Compose && n.value == name);
    let names: Vec<&str> = resolved
        .compose
        .iter()
        .map(|e| e.name.value.as_str())
        .collect();
    let mut d = Diagnostic::error(
        Code::UnknownEntry,
        if disabled {
            format!("`{name}` is disabled in environment `{env}`")
        } else {
            format!("no `compose` entry is named `{name}`")
        },
    );
    if let Some(similar) = did_you_mean(name, names.iter().copied()) {
        d = d.help(format!("did you mean `{similar}`?"));
    }
    let mut diagnostics = Diagnostics::new();
    diagnostics.push(d);
    Err(Failure::Invalid(diagnostics))
}

/// The compose files of an apps.yaml entry: `compose_file` under its `path`, or the defaults.
fn entry_files(resolved: &Resolved, entry: &Entry<ComposeEntry>) -> Result<Vec<PathBuf>, Failure> {
    let dir = resolved.dir.join(&entry.spec.path.value);
    match &entry.spec.compose_file {
        Some(files) => Ok(files.value.iter().map(|f| dir.join(f)).collect()),
        None => project_files(&dir),
    }
}

/// A `--settings` file: the keys of a compose entry's settings, every problem located.
fn read_settings(path: &Path) -> Result<ComposeSettings, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    let mut d = Diagnostics::new();
    let node =
        crate::yaml::parse_file(&crate::diagnostic::display_path(path), text).map_err(|e| {
            d.push(e);
            Failure::Invalid(d.clone())
        })?;
    if node.is_null() {
        return Ok(ComposeSettings::default());
    }
    let settings = crate::yaml::from_node::<ComposeSettings>(&node, "").map_err(|errors| {
        let mut d = Diagnostics::new();
        d.extend(errors);
        Failure::Invalid(d)
    })?;
    // `visibility:` is shorthand for `security.visibility` (likewise `network_policy`): not both.
    let mut d = Diagnostics::new();
    let blocks = std::iter::once((
        String::new(),
        settings.security.as_ref(),
        settings.visibility.as_ref().map(|v| v.span),
        settings.network_policy.as_ref().map(|v| v.span),
    ))
    .chain(
        settings
            .defaults
            .iter()
            .map(|s| ("defaults.".to_string(), s))
            .chain(
                settings
                    .services
                    .iter()
                    .map(|(name, s)| (format!("services.{name}."), s)),
            )
            .map(|(at, s)| {
                (
                    at,
                    s.security.as_ref(),
                    s.visibility.as_ref().map(|v| v.span),
                    s.network_policy.as_ref().map(|v| v.span),
                )
            }),
    );
    for (at, security, visibility, policy) in blocks {
        let long = (
            security.and_then(|s| s.visibility.as_ref()).map(|v| v.span),
            security
                .and_then(|s| s.network_policy.as_ref())
                .map(|v| v.span),
        );
        for (key, short, long) in [
            ("visibility", visibility, long.0),
            ("network_policy", policy, long.1),
        ] {
            if let (Some(short), Some(long)) = (short, long) {
                d.push(
                    Diagnostic::error(
                        Code::ConflictingKeys,
                        format!("`{key}` is given both as `{at}{key}` and under `{at}security`"),
                    )
                    .at(short)
                    .field(format!("{at}{key}"))
                    .label(long, "also given here")
                    .help(format!(
                        "keep one: `{key}:` is shorthand for `security.{key}:`"
                    )),
                );
            }
        }
    }
    if d.has_errors() {
        return Err(Failure::Invalid(d));
    }
    Ok(settings)
}

/// The entry `k3s compose convert` lowers: named `name`, with nothing but the compose files.
fn standalone_entry(
    name: &str,
    namespace: &str,
    files: &[PathBuf],
    options: &LoadOptions,
) -> Entry<ComposeEntry> {
    let dir = files[0].parent().unwrap_or(Path::new("."));
    let spec = ComposeEntry {
        name: Spanned::builtin(name.to_string()),
        path: Spanned::builtin(dir.to_string_lossy().into_owned()),
        compose_file: Some(Spanned::builtin(OneOrMany(
            files
                .iter()
                .map(|f| f.to_string_lossy().into_owned())
                .collect(),
        ))),
        namespace: None,
        enabled: None,
        profiles: options.profiles.clone(),
        variables: BTreeMap::new(),
        env_file: options
            .env_file
            .as_ref()
            .map(|f| Spanned::builtin(f.to_string_lossy().into_owned())),
        defaults: None,
        services: Default::default(),
        network: None,
        security: None,
        visibility: None,
        network_policy: None,
        depends_on: Vec::new(),
        // The plan reads the files again: with the same opt-in (`--entry`'s) as above.
        allow_outside_project: options.allow_outside.then_some(true),
        settings_source: SettingsSource::default(),
    };
    Entry {
        section: Section::Compose,
        name: Spanned::builtin(name.to_string()),
        namespace: namespace.to_string(),
        spec,
    }
}

fn document(header: &str, documents: &[String]) -> String {
    let mut out = header.to_string();
    for document in documents {
        out.push_str("---\n");
        out.push_str(document);
    }
    out
}

/// Prints `text`, or writes it to `DIR/compose/<name>/manifests.yaml` through emit (contained,
/// replaced by a rename, never over a file without convert's header).
fn emit(output: &EntryOutput, text: String, dir: Option<&Path>) -> CommandResult {
    let Some(dir) = dir else {
        out!("{text}");
        return Ok(EXIT_OK);
    };
    let path = Path::new("compose")
        .join(&output.name)
        .join("manifests.yaml");
    let mut tree = Tree::new(Owner::Convert);
    if holds_secret(output) {
        tree.insert_secret(path.clone(), text);
    } else {
        tree.insert(path.clone(), text);
    }
    write_files(dir, &tree)?;
    outln!("{}", dir.join(path).display());
    Ok(EXIT_OK)
}

/// The compose files of a directory (the defaults) or the file given.
fn project_files(path: &Path) -> Result<Vec<PathBuf>, Failure> {
    if path.is_dir() {
        default_compose_files(path).ok_or_else(|| {
            Failure::Usage(format!(
                "no compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml in {}",
                path.display()
            ))
        })
    } else if path.is_file() {
        Ok(vec![path.to_path_buf()])
    } else {
        Err(Failure::Usage(format!("{} does not exist", path.display())))
    }
}

fn init(context: &Context, args: &InitArgs) -> CommandResult {
    if let Err(problem) = crate::names::check_dns_label(&args.name, 63) {
        return Err(Failure::Usage(format!("--name `{}` {problem}", args.name)));
    }
    let files = project_files(&args.path)?;
    let options = LoadOptions {
        project_name: Some(args.name.clone()),
        variables: context.inputs.given(),
        ..LoadOptions::default()
    };
    let project = load_project(&files, &options).map_err(Failure::Invalid)?;
    print_diagnostics(&project.warnings);
    let (dir, file) = if args.path.is_dir() {
        (args.path.clone(), None)
    } else {
        (
            args.path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            args.path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned()),
        )
    };
    let dir_text = match dir.to_string_lossy().into_owned() {
        text if text.is_empty() => ".".to_string(),
        text => text,
    };
    out!(
        "{}",
        init_entry(
            &args.name,
            &dir_text,
            file.as_deref(),
            &init_hints(&project)
        )
    );
    Ok(EXIT_OK)
}

/// The template of `k3s compose init`'s entry. Every value goes through the serializer (`yaml`)
/// and every comment through `comment` (one line, whatever the compose file holds), and each
/// commented-out key is a whole `# key: value` line at its key's indentation, so uncommenting
/// any of them keeps the entry valid.
const INIT_TEMPLATE: &str = include_str!("compose_init.yaml.j2");

#[derive(serde::Serialize)]
struct InitService<'a> {
    service: &'a str,
    reached: String,
    build_only: bool,
    image: String,
    example_image: String,
    one_shot: bool,
    inferred_port: Option<u16>,
    missing_port: bool,
    volumes: &'a [crate::lower::VolumeHint],
    host_paths: &'a [(String, String)],
    only_comments: bool,
}

/// The `compose:` entry as YAML text, with comments where a decision is the user's.
pub fn init_entry(name: &str, path: &str, file: Option<&str>, hints: &[ServiceHints]) -> String {
    let services: Vec<InitService<'_>> = hints
        .iter()
        .map(|hint| {
            let label = to_dns_label(&hint.service);
            InitService {
                service: &hint.service,
                reached: hint
                    .reached_by
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                build_only: hint.build_only,
                image: format!("{name}-{label}"),
                example_image: format!("registry.example.com/{label}:1.0"),
                one_shot: hint.one_shot,
                inferred_port: hint.inferred_port,
                missing_port: hint.missing_port,
                volumes: &hint.volumes,
                host_paths: &hint.host_paths,
                only_comments: !hint.one_shot
                    && hint.inferred_port.is_none()
                    && hint.volumes.is_empty(),
            }
        })
        .collect();
    let mut env = minijinja::Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("yaml", |value: minijinja::Value| {
        scalar(
            &value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string),
        )
    });
    env.add_filter("comment", |value: String| {
        value
            .chars()
            .flat_map(char::escape_default)
            .collect::<String>()
    });
    env.add_template("init", INIT_TEMPLATE)
        .expect("the init template parses");
    env.get_template("init")
        .expect("just added")
        .render(minijinja::context! {
            name,
            path,
            file,
            services => minijinja::value::Serde(&services),
        })
        .expect("the init template renders its own context")
}

/// A YAML scalar, quoted when plain text would be read as something else.
fn scalar(text: &str) -> String {
    crate::render::yaml_document(&text).trim_end().to_string()
}

fn parse(context: &Context, args: &ParseArgs) -> CommandResult {
    let files = if args.paths.len() == 1 {
        project_files(&args.paths[0])?
    } else {
        args.paths.clone()
    };
    for file in &files {
        if !file.is_file() {
            return Err(Failure::Usage(format!("{} does not exist", file.display())));
        }
    }
    let options = LoadOptions {
        profiles: args.profiles.clone(),
        variables: context.inputs.given(),
        ..LoadOptions::default()
    };
    let project = load_project(&files, &options).map_err(Failure::Invalid)?;
    print_diagnostics(&project.warnings);
    match args.output {
        ModelFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&project).expect("the model serializes to JSON")
        ),
        ModelFormat::Yaml => out!("{}", crate::render::yaml_document(&project)),
    }
    Ok(EXIT_OK)
}
