//! Serverless Python functions found by parsing `functions/**/*.py` and `functions.py`, never by
//! importing them: their decorators become typed, located settings for the function front-end.
//!
//! Only module-level `def`/`async def` are discovered. A decorator is recognised by the last
//! segment of its name, so `@serverless(...)` and `@k3sfn.serverless(...)` are the same; other
//! decorators are ignored. Argument values must be literals (strings, numbers, booleans, `None`,
//! and lists, tuples or dicts of them); `None` means "not given". The argument lists come from
//! `runtime/python/k3sfn/decorators.json`, which the Python decorators are checked against.

mod decorators;
mod depth;
mod discover;
mod parser;

pub use decorators::{
    DECORATORS_JSON, FunctionSettings, HttpMethod, HttpTrigger, QueueMode, QueueTrigger,
    ScheduleTrigger, ServerlessDefaults, Trigger, serverless_defaults,
};
pub use discover::{DiscoveredFunction, Discovery, discover};

#[cfg(test)]
mod tests;
