//! ConfigMaps of plain configuration values (`w.config_maps`).
//! It must not decide which values are secret; lowering has already split them out.

use k8s_openapi::api::core::v1::ConfigMap;

use super::{non_empty_map, object_meta};
use crate::workload::{self, Workload};

pub(super) fn render(w: &Workload, config_map: &workload::ConfigMap) -> ConfigMap {
    ConfigMap {
        metadata: object_meta(w, &config_map.name),
        data: non_empty_map(config_map.data.clone()),
        ..ConfigMap::default()
    }
}
