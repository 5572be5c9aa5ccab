//! Serverless Python functions found by parsing `functions/**/*.py` and `functions.py`, never by
//! importing them: their decorators become typed, located settings for the function front-end.
//!
//! Only module-level `def`/`async def` are discovered. A decorator is recognised by the last
//! segment of its name, so `@serverless(...)` and `@k3sfn.serverless(...)` are the same; other
//! decorators are ignored. Argument values must be literals (strings, numbers, booleans, `None`,
//! and lists, tuples or dicts of them); `None` means "not given".

mod decorators;
mod depth;
mod discover;
mod parser;

pub use decorators::{
    FunctionSettings, HttpMethod, HttpTrigger, QueueMode, QueueTrigger, ScheduleTrigger, Trigger,
};
pub use discover::{DiscoveredFunction, Discovery, discover};

#[cfg(test)]
mod tests;
