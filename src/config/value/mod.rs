//! Small value types apps.yaml fields are made of: quantities, durations, "one or many",
//! "true/false or settings", "number or percent". Each validates itself while being read.

mod bool_or;
mod duration;
mod int_or_percent;
mod one_or_many;
mod quantity;

pub use bool_or::BoolOr;
pub use duration::Duration;
pub use int_or_percent::IntOrPercent;
pub use one_or_many::OneOrMany;
pub use quantity::Quantity;
