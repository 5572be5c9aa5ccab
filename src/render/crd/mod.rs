//! Typed custom resources (KEDA, KEDA HTTP add-on, Traefik, External Secrets, Argo CD) whose
//! shapes follow the upstream CRD schemas; renderers fill them in, no rendering logic lives here.

// Every root type comes from `kube::CustomResource` with `schema = "disabled"`: k3s writes
// instances of CRDs that the projects install themselves, so it never needs a JSON schema of its
// own, and skipping the `JsonSchema` derive keeps k8s-openapi's `schemars` feature (and its
// compile time) out of the build. Rules the API server enforces with CEL, or an operator's
// admission webhook enforces, are documented on the fields they constrain: the types cannot
// express them, so renderers must respect them.

pub mod argocd;
pub mod external_secrets;
pub mod keda;
pub mod keda_http;
pub mod traefik;
