//! `defaults:` — settings that apply wherever an entry is silent, some per environment.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::scaling::QueueConnection;
use super::secrets::StoreKind;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Namespace of every entry that names none; default `apps`.
    pub namespace: Option<Spanned<String>>,
    /// Image registry per environment (`{local: registry.localhost:5111, gcp: …}`), or one for all.
    pub registry: Option<Spanned<PerEnv<String>>>,
    /// Ingress controller per environment, or one for all; default `traefik`.
    pub ingress: Option<Spanned<PerEnv<IngressController>>>,
    /// Where the KEDA HTTP add-on runs and which of its APIs to emit.
    pub keda: Option<Keda>,
    /// Redis/Valkey used by queue scalers and queue-triggered functions.
    pub queue: Option<QueueConnection>,
    /// External Secrets store used by `secrets[].external`.
    pub secret_store: Option<SecretStore>,
    /// Pull secrets added to every pod (`imagePullSecrets`).
    #[serde(default)]
    pub image_pull_secrets: Vec<String>,
    /// Labels added to every generated object.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// A value given once for all environments, or per environment name.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum PerEnv<T> {
    All(T),
    Each(BTreeMap<String, Spanned<T>>),
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for PerEnv<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PerEnv<T>, D::Error> {
        use serde::de::{self, value::MapAccessDeserializer};
        struct Visitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: de::DeserializeOwned> de::Visitor<'de> for Visitor<T> {
            type Value = PerEnv<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a value, or a mapping from environment name to value")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<PerEnv<T>, E> {
                T::deserialize(de::IntoDeserializer::<E>::into_deserializer(v)).map(PerEnv::All)
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<PerEnv<T>, A::Error> {
                BTreeMap::deserialize(MapAccessDeserializer::new(map)).map(PerEnv::Each)
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

impl<T> PerEnv<T> {
    /// The value for one environment.
    pub fn get(&self, env: &str) -> Option<&T> {
        match self {
            PerEnv::All(value) => Some(value),
            PerEnv::Each(map) => map.get(env).map(|v| &v.value),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IngressController {
    /// Traefik IngressRoute + Middleware CRDs.
    Traefik,
    /// `networking.k8s.io/v1` Ingress for HAProxy Ingress (`haproxy-ingress.github.io/*`
    /// annotations, class `haproxy`).
    Haproxy,
    /// No ingress objects in this environment.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HttpScalerApi {
    /// `HTTPScaledObject` (http.keda.sh/v1alpha1).
    V1alpha1,
    /// `InterceptorRoute` (http.keda.sh/v1beta1) + `ScaledObject`.
    V1beta1,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keda {
    /// Which KEDA HTTP add-on API to emit; default `v1alpha1`.
    pub http_api: Option<HttpScalerApi>,
    /// Namespace of the KEDA HTTP interceptor; default `keda`.
    pub interceptor_namespace: Option<String>,
    /// Service of the interceptor proxy; default `keda-add-ons-http-interceptor-proxy`.
    pub interceptor_service: Option<String>,
    /// Port of the interceptor proxy Service; default 8080.
    pub interceptor_port: Option<u16>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretStore {
    /// Name of the External Secrets store ExternalSecrets read from.
    pub name: Spanned<String>,
    /// Default `ClusterSecretStore`.
    pub kind: Option<StoreKind>,
}
