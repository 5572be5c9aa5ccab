//! ConfigMaps of plain configuration values (`w.config_maps`).
//! It must not decide which values are secret; lowering has already split them out.

use k8s_openapi::api::core::v1::ConfigMap;

use super::object::object;
use super::{non_empty_map, object_meta};
use crate::workload::{self, Workload};

object!(ConfigMap, CONFIGURATION);

pub(super) fn render(w: &Workload, config_map: &workload::ConfigMap) -> ConfigMap {
    ConfigMap {
        metadata: object_meta(w, &config_map.name),
        data: non_empty_map(config_map.data.clone()),
        ..ConfigMap::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::web;

    #[test]
    fn data_passes_through() {
        let w = web();
        let config_map = render(&w, &w.config_maps[0]);
        assert_eq!(config_map.metadata.name.as_deref(), Some("web-config"));
        assert_eq!(config_map.data, Some(w.config_maps[0].data.clone()));
        assert_eq!(config_map.binary_data, None);
    }
}
