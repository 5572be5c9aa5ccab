//! Validation of Kubernetes CronJob schedules (five fields or an `@daily`-style macro), shared by
//! apps.yaml, compose and Python front-ends. It only says yes or why not; it never computes times.

use crate::diagnostic::did_you_mean;

/// The macros Kubernetes accepts in place of five fields.
const MACROS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

const WEEKDAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One of the five positions of a schedule.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    /// Names for the values `min..`, in order (months, weekdays).
    names: &'static [&'static str],
    /// Whether `?` ("no specific value") is allowed.
    question_mark: bool,
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        question_mark: false,
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        question_mark: false,
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        question_mark: true,
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
        question_mark: false,
    },
    // The scheduler Kubernetes uses (robfig/cron v3) accepts 0-6 only, not 7 for Sunday.
    Field {
        name: "day-of-week",
        min: 0,
        max: 6,
        names: WEEKDAYS,
        question_mark: true,
    },
];

/// Checks a CronJob `schedule`; the error names the field and the value that is wrong.
pub fn validate_cron(expr: &str) -> Result<(), String> {
    let expr = expr.trim();
    if expr.is_empty() {
        return Err("the schedule is empty".to_string());
    }
    if expr.starts_with("TZ=") || expr.starts_with("CRON_TZ=") {
        return Err(
            "a time zone (`TZ=`/`CRON_TZ=`) inside the schedule is not supported by Kubernetes; \
             set the time zone separately"
                .to_string(),
        );
    }
    if let Some(rest) = expr.strip_prefix('@') {
        return validate_macro(expr, rest);
    }
    let fields: Vec<&str> = expr.split_whitespace().collect();
    match fields.len() {
        5 => {}
        6 => {
            return Err(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found 6 in \
                 `{expr}`; Kubernetes schedules have no seconds field"
            ));
        }
        n => {
            return Err(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {n} in \
                 `{expr}`"
            ));
        }
    }
    for (field, text) in FIELDS.iter().zip(fields) {
        for item in text.split(',') {
            validate_item(field, text, item)?;
        }
    }
    Ok(())
}

fn validate_macro(expr: &str, rest: &str) -> Result<(), String> {
    if MACROS.contains(&expr) {
        return Ok(());
    }
    let word = rest.split_whitespace().next().unwrap_or("");
    if word == "every" {
        return Err(format!(
            "`{expr}`: `@every` intervals are not supported by Kubernetes CronJobs; write five \
             fields such as `*/5 * * * *`"
        ));
    }
    let mut message = format!(
        "unknown schedule macro `{expr}`; expected one of {}",
        MACROS.join(", ")
    );
    let given = format!("@{}", word.to_ascii_lowercase());
    if let Some(close) = did_you_mean(&given, MACROS.iter().copied()) {
        message.push_str(&format!(" (did you mean `{close}`?)"));
    }
    Err(message)
}

/// One comma-separated element: `*`, `?`, `N`, `N-M`, each optionally followed by `/STEP`.
fn validate_item(field: &Field, text: &str, item: &str) -> Result<(), String> {
    let name = field.name;
    if item.is_empty() {
        return Err(format!("{name} `{text}` has an empty list element"));
    }
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, Some(step)),
        None => (item, None),
    };
    if let Some(step) = step {
        match parse_number(step) {
            Some(0) => return Err(format!("{name} `{item}`: the step must be at least 1")),
            Some(_) => {}
            None if step.is_empty() => {
                return Err(format!("{name} `{item}`: the step after `/` is missing"));
            }
            None => {
                return Err(format!(
                    "{name} `{item}`: the step `{step}` is not a positive number"
                ));
            }
        }
    }
    match range {
        "*" => Ok(()),
        "?" if field.question_mark => Ok(()),
        "?" => Err(format!(
            "{name} `{item}`: `?` is only allowed in day-of-month and day-of-week"
        )),
        "" => Err(format!(
            "{name} `{item}`: a step needs a value or `*` before `/`"
        )),
        _ => match range.split_once('-') {
            Some((start, end)) if start.is_empty() || end.is_empty() => Err(format!(
                "{name} `{range}` is not a number or a range such as `1-5`"
            )),
            Some((start, end)) => {
                let start_value = value(field, start)?;
                let end_value = value(field, end)?;
                if start_value > end_value {
                    Err(format!(
                        "{name} `{range}`: the range starts after it ends ({start} > {end})"
                    ))
                } else {
                    Ok(())
                }
            }
            None => value(field, range).map(|_| ()),
        },
    }
}

/// A number within the field's bounds, or one of the field's names (any case).
fn value(field: &Field, text: &str) -> Result<u32, String> {
    let name = field.name;
    if let Some(number) = parse_number(text) {
        return if (field.min..=field.max).contains(&number) {
            Ok(number)
        } else if field.name == "day-of-week" && number == 7 {
            Err(format!(
                "{name} `7` is out of range 0-6; Kubernetes does not accept 7 for Sunday, use 0 \
                 or SUN"
            ))
        } else {
            Err(format!(
                "{name} `{text}` is out of range {}-{}",
                field.min, field.max
            ))
        };
    }
    let upper = text.to_ascii_uppercase();
    if let Some(index) = field.names.iter().position(|n| *n == upper) {
        let index = u32::try_from(index).expect("at most 12 names");
        return Ok(field.min + index);
    }
    if field.names.is_empty() {
        Err(format!("{name} `{text}` is not a number"))
    } else {
        Err(format!(
            "{name} `{text}` is not a number or a name ({}-{})",
            field.names[0],
            field.names[field.names.len() - 1]
        ))
    }
}

/// Plain decimal digits only: no sign, no spaces.
fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Too many digits to fit is still a number, just out of range.
    Some(text.parse().unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(expr: &str) -> String {
        validate_cron(expr).expect_err(expr)
    }

    #[test]
    fn accepts_common_schedules() {
        for expr in [
            "* * * * *",
            "0 * * * *",
            "*/5 * * * *",
            "0 0 * * 0",
            "30 2 1 1 *",
            "0 9-17 * * 1-5",
            "1-10/2 * * * *",
            "5/15 * * * *",
            "0,15,30,45 * * * *",
            "0 0 1,15 * ?",
            "0 0 ? * MON",
            "0 0 * JAN-MAR sun",
            "0 0 * * Mon-Fri",
            "0 0 31 12 6",
            "00 05 * * *",
            "  0 0 * * *  ",
            "0\t0 * * *",
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@hourly",
        ] {
            assert_eq!(validate_cron(expr), Ok(()), "{expr}");
        }
    }

    #[test]
    fn out_of_range_values_name_the_field_and_value() {
        assert_eq!(err("0 24 * * *"), "hour `24` is out of range 0-23");
        assert_eq!(err("60 * * * *"), "minute `60` is out of range 0-59");
        assert_eq!(err("0 0 0 * *"), "day-of-month `0` is out of range 1-31");
        assert_eq!(err("0 0 32 * *"), "day-of-month `32` is out of range 1-31");
        assert_eq!(err("0 0 * 13 *"), "month `13` is out of range 1-12");
        assert_eq!(err("0 0 * 0 *"), "month `0` is out of range 1-12");
        assert_eq!(err("0 0 * * 8"), "day-of-week `8` is out of range 0-6");
        assert_eq!(
            err("0 0 * * 99999999999"),
            "day-of-week `99999999999` is out of range 0-6"
        );
    }

    #[test]
    fn seven_for_sunday_is_refused_as_kubernetes_does() {
        assert!(err("0 0 * * 7").contains("use 0 or SUN"));
        assert!(err("0 0 * * 5-7").starts_with("day-of-week `7`"));
    }

    #[test]
    fn ranges_lists_and_steps_are_checked_element_by_element() {
        assert_eq!(err("0 1-24 * * *"), "hour `24` is out of range 0-23");
        assert_eq!(err("0 1,2,25 * * *"), "hour `25` is out of range 0-23");
        assert_eq!(
            err("0 5-1 * * *"),
            "hour `5-1`: the range starts after it ends (5 > 1)"
        );
        assert_eq!(
            err("*/0 * * * *"),
            "minute `*/0`: the step must be at least 1"
        );
        assert_eq!(
            err("*/x * * * *"),
            "minute `*/x`: the step `x` is not a positive number"
        );
        assert_eq!(
            err("*/ * * * *"),
            "minute `*/`: the step after `/` is missing"
        );
        assert_eq!(
            err("/5 * * * *"),
            "minute `/5`: a step needs a value or `*` before `/`"
        );
        assert_eq!(
            err("1,,2 * * * *"),
            "minute `1,,2` has an empty list element"
        );
        assert_eq!(err("1, * * * *"), "minute `1,` has an empty list element");
        assert_eq!(
            err("-1 * * * *"),
            "minute `-1` is not a number or a range such as `1-5`"
        );
        assert_eq!(
            err("1- * * * *"),
            "minute `1-` is not a number or a range such as `1-5`"
        );
    }

    #[test]
    fn names_are_checked_per_field() {
        assert_eq!(
            err("0 0 * FOO *"),
            "month `FOO` is not a number or a name (JAN-DEC)"
        );
        assert_eq!(
            err("0 0 * * MONDAY"),
            "day-of-week `MONDAY` is not a number or a name (SUN-SAT)"
        );
        assert_eq!(err("0 0 MON * *"), "day-of-month `MON` is not a number");
        assert_eq!(err("a * * * *"), "minute `a` is not a number");
        assert_eq!(
            err("0 0 * DEC-JAN *"),
            "month `DEC-JAN`: the range starts after it ends (DEC > JAN)"
        );
    }

    #[test]
    fn question_mark_only_in_day_fields() {
        assert_eq!(
            err("? * * * *"),
            "minute `?`: `?` is only allowed in day-of-month and day-of-week"
        );
        assert_eq!(
            err("0 0 * ? *"),
            "month `?`: `?` is only allowed in day-of-month and day-of-week"
        );
    }

    #[test]
    fn wrong_field_counts() {
        assert_eq!(
            err("0 0 * * * *"),
            "expected 5 fields (minute hour day-of-month month day-of-week), found 6 in \
             `0 0 * * * *`; Kubernetes schedules have no seconds field"
        );
        assert!(err("0 0 * *").contains("found 4"));
        assert!(err("0 0 * * * * 2024").contains("found 7"));
        assert_eq!(err(""), "the schedule is empty");
        assert_eq!(err("   "), "the schedule is empty");
    }

    #[test]
    fn macros() {
        assert!(err("@every 5m").contains("`@every` intervals are not supported"));
        assert_eq!(
            err("@hourli"),
            "unknown schedule macro `@hourli`; expected one of @yearly, @annually, @monthly, \
             @weekly, @daily, @midnight, @hourly (did you mean `@hourly`?)"
        );
        assert!(!err("@reboot").contains("did you mean"));
        assert!(err("@daily 0").starts_with("unknown schedule macro"));
        assert!(err("@DAILY").contains("did you mean `@daily`?"));
    }

    #[test]
    fn time_zones_in_the_schedule_are_refused() {
        assert!(err("TZ=UTC 0 0 * * *").contains("not supported by Kubernetes"));
        assert!(err("CRON_TZ=Europe/Paris 0 0 * * *").contains("set the time zone separately"));
    }
}
