//! State that higher layers keep per database, without `db` knowing their types: the
//! audit's group-commit queue, the record page's cache, the registry's search index.
//! Each is made on first use (`Default`) and lives as long as the `Db` and its clones.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Default)]
pub struct Extensions {
    map: RwLock<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Extensions {
    /// The one `T` of this database, made with `T::default()` on first use.
    pub fn get<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let id = TypeId::of::<T>();
        if let Some(v) = self.map.read().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return v.clone().downcast().expect("stored under its own type");
        }
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        map.entry(id)
            .or_insert_with(|| Arc::new(T::default()))
            .clone()
            .downcast()
            .expect("stored under its own type")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Counter(std::sync::atomic::AtomicU32);

    #[test]
    fn one_value_per_type_made_once() {
        let e = Extensions::default();
        e.get::<Counter>()
            .0
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            e.get::<Counter>()
                .0
                .load(std::sync::atomic::Ordering::SeqCst),
            1
        );
        assert_eq!(*e.get::<String>(), "");
    }
}
