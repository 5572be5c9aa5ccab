//! What k3s needs of every object it renders — its kind, its place in an apply, its metadata —
//! and [`Manifest`], which holds one object of any such type. A kind joins by one `object!`
//! line in the file that renders it; nothing here knows the list of kinds.

use std::any::Any;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::yaml_options;

/// A Kubernetes object type that k3s renders. Implement it with [`object!`].
pub trait Object:
    serde::Serialize + fmt::Debug + Clone + PartialEq + Send + Sync + 'static
{
    /// The `kind` the object serializes with.
    const KIND: &'static str;
    /// One of the [`order`] constants.
    const APPLY_ORDER: u8;
    fn metadata(&self) -> &ObjectMeta;
}

/// Position in an apply (DESIGN rule 5): what others reference comes first. Gaps leave room
/// for new kinds. Within one order, kinds sort by name (see `sort_manifests`).
///
/// | order | kinds |
/// |------:|-------|
/// | 0  | Namespace |
/// | 10 | ServiceAccount |
/// | 20 | ConfigMap, Secret, ExternalSecret |
/// | 30 | PersistentVolumeClaim |
/// | 40 | Deployment, StatefulSet, CronJob, Job, ScaledJob |
/// | 50 | Service |
/// | 60 | Middleware, ServersTransport |
/// | 65 | IngressRoute, Ingress |
/// | 70 | TriggerAuthentication |
/// | 75 | HorizontalPodAutoscaler, ScaledObject, HTTPScaledObject, InterceptorRoute |
/// | 80 | NetworkPolicy |
/// | 90 | PodDisruptionBudget |
/// | 100 | AppProject |
/// | 105 | Application |
///
/// `render::tests::every_rendered_kind_has_its_documented_order_and_serialized_kind` checks
/// every kind rendered (fixtures and the golden trees) against this table.
pub mod order {
    pub const NAMESPACE: u8 = 0;
    pub const SERVICE_ACCOUNT: u8 = 10;
    /// What pods read: ConfigMaps, Secrets and the ExternalSecrets that write Secrets.
    pub const CONFIGURATION: u8 = 20;
    pub const VOLUME_CLAIM: u8 = 30;
    /// Controllers of pods, including KEDA's ScaledJob, which creates Jobs itself.
    pub const WORKLOAD: u8 = 40;
    pub const SERVICE: u8 = 50;
    /// Traefik's Middlewares and ServersTransports: before the IngressRoutes that reference
    /// them.
    pub const MIDDLEWARE: u8 = 60;
    pub const INGRESS: u8 = 65;
    /// Before the scalers whose triggers reference them.
    pub const TRIGGER_AUTHENTICATION: u8 = 70;
    /// Objects that own a replica count. An InterceptorRoute sorts (by kind) before the
    /// ScaledObject whose external-push trigger asks the HTTP add-on's scaler about it.
    pub const SCALER: u8 = 75;
    pub const NETWORK_POLICY: u8 = 80;
    pub const DISRUPTION_BUDGET: u8 = 90;
    /// Before the Applications that name it: they are invalid until it exists.
    pub const APP_PROJECT: u8 = 100;
    pub const APPLICATION: u8 = 105;
}

/// `object!(Deployment, WORKLOAD);` for a k8s-openapi type, whose kind comes from
/// `k8s_openapi::Resource`; `object!(ScaledObject, "ScaledObject", SCALER);` for a kube
/// `CustomResource`, which only offers its kind as a `Cow` (a test checks the spelling against
/// the YAML). The order is the name of an [`order`] constant, so the table stays the only
/// place orders are decided. The type must have a `metadata: ObjectMeta` field.
macro_rules! object {
    ($type:ty, $order:ident) => {
        $crate::render::object::object!($type, <$type as ::k8s_openapi::Resource>::KIND, $order);
    };
    ($type:ty, $kind:expr, $order:ident) => {
        impl $crate::render::object::Object for $type {
            const KIND: &'static str = $kind;
            const APPLY_ORDER: u8 = $crate::render::object::order::$order;
            fn metadata(&self) -> &::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }
        }
    };
}
pub(crate) use object;

/// One rendered object of any [`Object`] type, boxed once so that a `Vec<Manifest>` stays
/// small whatever the kind. [`Manifest::get`] gives back the typed object.
pub struct Manifest(Box<dyn ErasedObject>);

impl Manifest {
    pub fn new<T: Object>(object: T) -> Manifest {
        Manifest(Box::new(object))
    }

    /// The object, if it is a `T`.
    pub fn get<T: Object>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref()
    }

    pub fn kind(&self) -> &'static str {
        self.0.kind()
    }

    pub fn metadata(&self) -> &ObjectMeta {
        self.0.metadata()
    }

    /// Every renderer sets a name; the empty string would only show a renderer bug.
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }

    /// Position in an apply; see [`order`].
    pub fn apply_order(&self) -> u8 {
        self.0.apply_order()
    }

    /// The object as one YAML document (no `---`), keys in the order the types serialize them
    /// (`apiVersion`, `kind`, then alphabetical for k8s-openapi, declaration order for the CRD
    /// types; maps are `BTreeMap`s), so the bytes depend only on the object.
    pub fn to_yaml(&self) -> String {
        self.0.to_yaml()
    }
}

impl Clone for Manifest {
    fn clone(&self) -> Manifest {
        Manifest(self.0.clone_box())
    }
}

impl PartialEq for Manifest {
    fn eq(&self, other: &Manifest) -> bool {
        self.0.eq_erased(other.0.as_ref())
    }
}

impl fmt::Debug for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Manifest").field(&self.0).finish()
    }
}

/// [`Object`] without its type, so that objects of different kinds share a `Vec`: `Object`
/// itself cannot be a trait object (associated constants, `Clone`, generic `Serialize`).
trait ErasedObject: fmt::Debug + Send + Sync {
    fn kind(&self) -> &'static str;
    fn apply_order(&self) -> u8;
    fn metadata(&self) -> &ObjectMeta;
    fn to_yaml(&self) -> String;
    fn clone_box(&self) -> Box<dyn ErasedObject>;
    fn eq_erased(&self, other: &dyn ErasedObject) -> bool;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Object> ErasedObject for T {
    fn kind(&self) -> &'static str {
        T::KIND
    }

    fn apply_order(&self) -> u8 {
        T::APPLY_ORDER
    }

    fn metadata(&self) -> &ObjectMeta {
        Object::metadata(self)
    }

    fn to_yaml(&self) -> String {
        // These types hold only strings, numbers, booleans, lists and string-keyed maps,
        // which YAML can always represent.
        serde_saphyr::to_string_with_options(self, yaml_options())
            .expect("a Kubernetes object serializes to YAML")
    }

    fn clone_box(&self) -> Box<dyn ErasedObject> {
        Box::new(self.clone())
    }

    fn eq_erased(&self, other: &dyn ErasedObject) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
