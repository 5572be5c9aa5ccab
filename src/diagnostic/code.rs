//! The stable codes of every diagnostic k3s reports, in one table: the kebab-case spelling
//! users see (and match in CI), the class that decides the exit code, and what each means.
//! A code is never renamed once released; a new problem gets a new code.

use std::fmt;

/// What kind of failure a code is, which decides the exit code (README "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The input is wrong (apps.yaml, a compose file, a function, an env file): exit 1.
    Input,
    /// A file could not be read or written: exit 2.
    Io,
    /// A bug in k3s: exit 2.
    Internal,
}

impl Class {
    /// The process exit code for an error of this class.
    pub fn exit_code(self) -> u8 {
        match self {
            Class::Input => 1,
            Class::Io | Class::Internal => 2,
        }
    }
}

/// Declares [`Code`] with its spelling, class and description, so the three cannot drift.
macro_rules! codes {
    ($($variant:ident = $text:literal, $class:ident, $description:literal;)+) => {
        /// A diagnostic's stable identifier.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)+
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            /// The kebab-case spelling printed in JSON output and documentation.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)+
                }
            }

            pub fn class(self) -> Class {
                match self {
                    $(Code::$variant => Class::$class,)+
                }
            }

            /// One sentence on what the code reports.
            pub fn description(self) -> &'static str {
                match self {
                    $(Code::$variant => $description,)+
                }
            }
        }
    };
}

codes! {
    // Reading YAML.
    YamlSyntax = "yaml-syntax", Input, "The file is not valid YAML, or holds more than one document.";
    YamlTooDeep = "yaml-too-deep", Input, "Mappings and lists are nested deeper than k3s reads.";
    YamlAliasBomb = "yaml-alias-bomb", Input, "Aliases expand to more nodes than k3s reads (a billion-laughs file).";
    YamlComplexKey = "yaml-complex-key", Input, "A mapping key is a list or a mapping instead of a plain value.";
    YamlMerge = "yaml-merge", Input, "A `<<` merge key is not followed by a mapping or a list of mappings.";
    DuplicateKey = "duplicate-key", Input, "A mapping has the same key twice.";
    InputTooLarge = "input-too-large", Input, "An input file is larger than k3s reads (64 MiB).";
    // The shape of apps.yaml and compose files.
    UnknownKey = "unknown-key", Input, "A key that the schema does not have (with a did-you-mean where one is close).";
    MissingKey = "missing-key", Input, "A required key is absent.";
    WrongType = "wrong-type", Input, "A value has the wrong type (a list where a mapping belongs, text where a number belongs).";
    BadValue = "bad-value", Input, "A value of the right type that the field does not accept.";
    ConflictingKeys = "conflicting-keys", Input, "Two keys that exclude each other are both given.";
    ObsoleteKey = "obsolete-key", Input, "A key that is obsolete and ignored (compose `version`).";
    UnsupportedKey = "unsupported-key", Input, "A key k3s reads but cannot act on; it is ignored.";
    UndeclaredEnvironment = "undeclared-environment", Input, "A block named after an environment that `environments:` does not declare.";
    // Names.
    BadName = "bad-name", Input, "A name that is not a valid Kubernetes name (DNS-1123 label or subdomain).";
    NameTooLong = "name-too-long", Input, "A generated object name longer than Kubernetes allows (63 characters, 52 for CronJobs).";
    DuplicateName = "duplicate-name", Input, "Two entries, functions or routes would have the same name.";
    DuplicateObject = "duplicate-object", Input, "Two workloads would write the same object (kind, namespace and name).";
    UnknownEntry = "unknown-entry", Input, "A command names an entry that apps.yaml does not have, or that is disabled.";
    // Variables and env files.
    UnsetVariable = "unset-variable", Input, "A `${VAR}` without a value in any source and without a default.";
    UnusedVariable = "unused-variable", Input, "A `--set NAME=value` whose NAME no `${NAME}` in what was read refers to (a typo, most often).";
    RequiredVariable = "required-variable", Input, "A `${VAR:?message}` whose variable is unset or empty.";
    BadInterpolation = "bad-interpolation", Input, "A `$` expression that is not valid interpolation syntax.";
    DotenvSyntax = "dotenv-syntax", Input, "A line of an env file that is not `NAME=value`.";
    UnsupportedEnvFormat = "unsupported-env-format", Input, "An env file format other than the ones k3s reads.";
    // Files and paths.
    Io = "io", Io, "A file or directory could not be read or written.";
    MissingFile = "missing-file", Input, "A file that apps.yaml or a compose file names does not exist.";
    MissingPath = "missing-path", Input, "A directory that an entry's `path` names does not exist.";
    OutsideProject = "outside-project", Input, "A path that resolves (after symlinks) outside the project directory, which k3s does not read without `allow_outside_project: true`.";
    BadPath = "bad-path", Input, "A path that is not allowed where it is given (relative mount paths, paths leaving their directory).";
    BadFile = "bad-file", Input, "A file given for a secret or config cannot be used.";
    BadTemplate = "bad-template", Input, "A Dockerfile template that does not render.";
    // Containers, ports, probes, resources.
    BadPort = "bad-port", Input, "A port that is out of range or not a port of the Service it names.";
    BadPortName = "bad-port-name", Input, "A port name that is not a valid IANA service name.";
    DuplicatePortName = "duplicate-port-name", Input, "Two ports of a pod have the same name.";
    MissingPort = "missing-port", Input, "A service is reached by others but no port for it is known.";
    BadProbe = "bad-probe", Input, "A probe that is incomplete or names a port the container does not have.";
    NoResources = "no-resources", Input, "A workload without resource requests or limits: the scheduler cannot place it well, nor stop it starving others.";
    ImplicitLatest = "implicit-latest", Input, "An image without a tag or digest runs whatever `latest` is when the pod starts.";
    BadQuantity = "bad-quantity", Input, "A resource quantity that Kubernetes cannot read.";
    RequestOverLimit = "request-over-limit", Input, "A resource request larger than its limit.";
    BadReference = "bad-reference", Input, "An environment reference without exactly one source (Secret, ConfigMap or field).";
    BadEnvName = "bad-env-name", Input, "An environment variable name Kubernetes rejects.";
    ReservedEnv = "reserved-env", Input, "An environment variable that the function runtime contract reserves.";
    SecretInPlainText = "secret-in-plain-text", Input, "A secret-looking value is written in plain text.";
    MissingVolume = "missing-volume", Input, "A container mounts a volume the pod does not declare.";
    SelectorMismatch = "selector-mismatch", Input, "A selector that does not match its pod template's labels.";
    BadLabel = "bad-label", Input, "A label key or value that Kubernetes rejects.";
    BadAnnotation = "bad-annotation", Input, "An annotation key that Kubernetes rejects.";
    HostPath = "host-path", Input, "A hostPath volume without `allow_host_path: true`.";
    SecurityProfile = "security-profile", Input, "A setting that the entry's Pod Security Standard forbids.";
    // Scaling, budgets, schedules.
    BadScaling = "bad-scaling", Input, "Scaling settings that cannot work together or with the workload.";
    BadBudget = "bad-budget", Input, "A disruption budget that is contradictory.";
    BlockingBudget = "blocking-budget", Input, "A disruption budget that would block every node drain.";
    BadCron = "bad-cron", Input, "A cron schedule Kubernetes (or KEDA) cannot read.";
    // Routing.
    UnsupportedByController = "unsupported-by-controller", Input, "A route setting the environment's ingress controller cannot express.";
    AmbiguousInterceptorRoute = "ambiguous-interceptor-route", Input, "Two routes the KEDA interceptor could not tell apart.";
    OverlappingInterceptorRoute = "overlapping-interceptor-route", Input, "A stripped catch-all route beside more specific ones on the same host.";
    PublicWithoutIngress = "public-without-ingress", Input, "`visibility: public` on a workload that has no ingress route.";
    // Argo CD and dependencies.
    BadDependency = "bad-dependency", Input, "A `depends_on` that names no entry of the given type.";
    DependencyCycle = "dependency-cycle", Input, "`depends_on` forms a cycle.";
    NoArgocdApplications = "no-argocd-applications", Input, "No Argo CD Applications are written because `argocd.repo_url` is unset.";
    UnknownRepository = "unknown-repository", Input, "A Helm chart names a repository `repositories:` does not define.";
    // Images.
    BadImageTag = "bad-image-tag", Input, "An image tag given on the command line or in a tags file is not valid.";
    UnknownImage = "unknown-image", Input, "A tag is given for an image that no workload builds.";
    MissingImage = "missing-image", Input, "A compose service with neither `image` nor `build`.";
    UnsupportedBuild = "unsupported-build", Input, "A build k3s does not run (remote context, inline Dockerfile).";
    // Compose.
    NoComposeFile = "no-compose-file", Input, "A compose entry without a compose file.";
    InvalidProjectName = "invalid-project-name", Input, "A compose project name that reduces to nothing.";
    InvalidServiceName = "invalid-service-name", Input, "A compose service name with characters Compose does not allow.";
    InvalidPort = "invalid-port", Input, "A compose port that is not `[[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]`.";
    InvalidExtraHost = "invalid-extra-host", Input, "A compose `extra_hosts` item that is not `HOST:IP`.";
    InvalidVolume = "invalid-volume", Input, "A compose volume that is incomplete.";
    InvalidExtends = "invalid-extends", Input, "A compose `extends` without a service.";
    InvalidInclude = "invalid-include", Input, "A compose `include` without a path.";
    ExtendsCycle = "extends-cycle", Input, "Compose `extends` forms a cycle.";
    IncludeCycle = "include-cycle", Input, "Compose `include` includes a file already being included.";
    IncludeConflict = "include-conflict", Input, "A compose resource defined both in a file and in a file it includes.";
    UnsupportedRemote = "unsupported-remote", Input, "A remote compose resource (`extends` or `include` from a URL).";
    UnknownService = "unknown-service", Input, "A service named in apps.yaml or `depends_on` that the compose project does not have.";
    UnknownNetwork = "unknown-network", Input, "A compose service refers to a network the project does not define.";
    UnknownVolume = "unknown-volume", Input, "A compose service refers to a named volume the project does not define.";
    UnknownSecret = "unknown-secret", Input, "A compose service refers to a secret the project does not define.";
    UnknownConfig = "unknown-config", Input, "A compose service refers to a config the project does not define.";
    InactiveDependency = "inactive-dependency", Input, "A dependency on a compose service whose profiles are not active.";
    RenamedService = "renamed-service", Input, "A compose service name that had to be changed into a Kubernetes name.";
    DockerOnly = "docker-only", Input, "A compose setting that only the Docker engine has; it is not kept.";
    DockerOnlyKey = "docker-only-key", Input, "A top-level compose key that only the Docker engine has.";
    BindMount = "bind-mount", Input, "A compose bind mount that cannot become a Kubernetes volume.";
    BindMountClaim = "bind-mount-claim", Input, "A compose bind mount turned into a claim; its content is not copied.";
    SourceMount = "source-mount", Input, "A development mount of source code, dropped: the image must contain it.";
    AnonymousVolume = "anonymous-volume", Input, "A compose anonymous volume, not mounted so that the image's content at its path stays visible.";
    SharedVolume = "shared-volume", Input, "A ReadWriteOnce volume mounted by several services.";
    UnsupportedVolume = "unsupported-volume", Input, "A compose mount type with no Kubernetes equivalent.";
    PublishedPort = "published-port", Input, "A compose host port that a NodePort cannot keep.";
    PortMismatch = "port-mismatch", Input, "A compose service is reached on a port its Service does not have.";
    DockerfileOutsideProject = "dockerfile-outside-project", Input, "A Dockerfile read for its `EXPOSE` that resolves (after symlinks) outside the compose project.";
    FixedAddress = "fixed-address", Input, "A compose fixed IP address (`ipv4_address`, `ipv6_address`), which pods do not keep.";
    NetworkRule = "network-rule", Input, "A compose service's `visibility` or `network_policy` that the entry's `network.policy` makes ineffective.";
    RestartPolicy = "restart-policy", Input, "A compose restart policy that the chosen controller cannot keep.";
    DependencyDisabled = "dependency-disabled", Input, "A dependency that is not deployed in this environment.";
    DependencyOrder = "dependency-order", Input, "A start order Kubernetes cannot hold (a dependency that runs as a Job).";
    UnsupportedValue = "unsupported-value", Input, "A value that has no Kubernetes equivalent; it is not kept.";
    // Functions.
    FunctionsNotFound = "functions-not-found", Input, "A serverless entry's directory has no `functions/` or `functions.py`.";
    NoFunctions = "no-functions", Input, "No function carries a k3s decorator.";
    PythonSyntax = "python-syntax", Input, "A Python file that does not parse.";
    DuplicateFunction = "duplicate-function", Input, "A function defined twice in one module.";
    NestedFunction = "nested-function", Input, "A decorated function that is not defined at module level.";
    DuplicateDecorator = "duplicate-decorator", Input, "A decorator given twice on one function.";
    MultipleTriggers = "multiple-triggers", Input, "A function with more than one trigger decorator.";
    MissingTrigger = "missing-trigger", Input, "A function with `@serverless` but no trigger.";
    UnknownArgument = "unknown-argument", Input, "A decorator argument k3s does not know.";
    DuplicateArgument = "duplicate-argument", Input, "A decorator argument given twice.";
    MissingArgument = "missing-argument", Input, "A required decorator argument is absent.";
    PositionalArgument = "positional-argument", Input, "A decorator argument given by position instead of by name.";
    NotLiteral = "not-literal", Input, "A decorator argument that cannot be read without running the code.";
    PythonTooDeep = "python-too-deep", Input, "Python brackets or decorator arguments nested deeper than k3s reads.";
    UnusedSetting = "unused-setting", Input, "A setting that has no effect where it is given.";
    // The output tree.
    OutputSymlink = "output-symlink", Io, "A symbolic link in the output tree; k3s neither writes through nor copies links.";
    NotGenerated = "not-generated", Io, "A file k3s would replace that does not start with the header k3s writes.";
    ForeignStaging = "foreign-staging", Io, "A directory with k3s's staging name in the output tree that k3s did not make.";
    MissingAuthSecret = "missing-auth-secret", Input, "A function authenticates (`auth` api_key or jwt) but no Secret with its keys is named.";
    UnknownFunction = "unknown-function", Input, "A command names a function that the serverless entry's project does not have.";
    // The live cluster (`k3s diff`, `k3s validate --cluster`).
    ClusterRejected = "cluster-rejected", Input, "The cluster's API server refuses an object in a server-side-apply dry run (invalid, forbidden, or a kind it does not serve).";
    ClusterWarning = "cluster-warning", Input, "The cluster's API server accepts an object with a warning (a deprecated API, a Pod Security violation).";
    ClusterUnreachable = "cluster-unreachable", Io, "The cluster of the kubeconfig cannot be used: no kubeconfig or context, no connection, credentials refused, or a server error.";
    // k3s itself.
    Internal = "internal", Internal, "A bug in k3s; please report it with the input that caused it.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The Markdown table of every code, as `docs/diagnostic-codes.md` holds it.
pub fn codes_markdown() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\nEvery problem k3s reports carries one of these codes (in `validate --output json` and\nafter the message). Errors of class `input` exit 1; `io` and `internal` exit 2. Generated from\n`src/diagnostic/code.rs`; a test fails when this file is stale.\n\n| code | class | meaning |\n|---|---|---|\n",
    );
    for code in Code::ALL {
        let class = match code.class() {
            Class::Input => "input",
            Class::Io => "io",
            Class::Internal => "internal",
        };
        out.push_str(&format!(
            "| `{}` | {class} | {} |\n",
            code.as_str(),
            code.description()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_described() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "`{text}` is used by two codes");
            assert!(
                !text.is_empty()
                    && text.split('-').all(|part| !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "`{text}` is not kebab-case"
            );
            let description = code.description();
            assert!(
                description.ends_with('.') && description.len() > 20,
                "`{text}` needs a description sentence"
            );
        }
    }

    #[test]
    fn only_io_and_internal_codes_exit_2() {
        assert_eq!(Code::Io.class().exit_code(), 2);
        assert_eq!(Code::Internal.class().exit_code(), 2);
        assert_eq!(Code::UnknownKey.class().exit_code(), 1);
    }

    #[test]
    fn the_documented_table_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diagnostic-codes.md");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        if std::env::var_os("K3S_UPDATE_DOCS").is_some() {
            std::fs::write(path, codes_markdown()).expect("docs/ is writable");
            return;
        }
        assert!(
            committed == codes_markdown(),
            "docs/diagnostic-codes.md is stale: run `K3S_UPDATE_DOCS=1 cargo test --lib diagnostic`"
        );
    }
}
