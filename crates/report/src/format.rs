//! How times, durations and values read in a report. Times are UTC: a report is read wherever
//! it is sent, so it never depends on the time zone of the machine that wrote it.

use chrono::DateTime;
use runlens_core::metric::ValueClass;
use runlens_core::MetricValue;

/// `2026-03-02 10:00 UTC`; `—` when unknown or out of range.
pub fn utc_minute(ms: Option<i64>) -> String {
    utc(ms, "%Y-%m-%d %H:%M UTC")
}

/// `2026-03-02 10:00:05 UTC`.
pub fn utc_second(ms: i64) -> String {
    utc(Some(ms), "%Y-%m-%d %H:%M:%S UTC")
}

/// The machine-readable form for `<time datetime="…">`: `2026-03-02T10:00:05Z`.
pub fn iso(ms: i64) -> String {
    utc(Some(ms), "%Y-%m-%dT%H:%M:%SZ")
}

fn utc(ms: Option<i64>, pattern: &str) -> String {
    ms.and_then(DateTime::from_timestamp_millis)
        .map(|t| t.format(pattern).to_string())
        .unwrap_or_else(|| "—".into())
}

/// `850ms`, `45s`, `3m 20s`, `1h 02m`, `3d 04h`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    let secs = ms / 1000;
    match secs {
        0 => format!("{ms}ms"),
        1..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m {:02}s", secs / 60, secs % 60),
        3600..=172_799 => format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60),
        _ => format!("{}d {:02}h", secs / 86_400, (secs % 86_400) / 3600),
    }
}

/// Four significant digits, scientific for very large or small values, NaN and ±∞ spelled out.
pub fn metric(value: MetricValue) -> String {
    match value.class() {
        ValueClass::Nan => "NaN".into(),
        ValueClass::PosInf => "∞".into(),
        ValueClass::NegInf => "−∞".into(),
        ValueClass::Finite => {
            let x = value.get();
            if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
                format!("{x:.3e}")
            } else {
                let fixed = format!("{x:.4}");
                fixed.trim_end_matches('0').trim_end_matches('.').to_string()
            }
        }
    }
}

/// An optional plain number (a metric's min or max) like [`metric`]; `—` when absent.
pub fn optional_metric(value: Option<f64>) -> String {
    value.map(|v| metric(MetricValue(v))).unwrap_or_else(|| "—".into())
}

/// `1 run`, `3 runs`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(utc_minute(Some(1_700_000_000_000)), "2023-11-14 22:13 UTC");
        assert_eq!(utc_second(1_700_000_005_000), "2023-11-14 22:13:25 UTC");
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_minute(None), "—");
        assert_eq!(utc_minute(Some(i64::MAX)), "—");
    }

    #[test]
    fn durations_and_values_are_short() {
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(60_000), "1m 00s");
        assert_eq!(duration(3_723_000), "1h 02m");
        assert_eq!(duration(-5), "0ms");
        assert_eq!(metric(MetricValue(0.123456)), "0.1235");
        assert_eq!(metric(MetricValue(2.0)), "2");
        assert_eq!(metric(MetricValue(1e-5)), "1.000e-5");
        assert_eq!(metric(MetricValue(f64::NEG_INFINITY)), "−∞");
        assert_eq!(optional_metric(None), "—");
        assert_eq!(count(1, "run", "runs"), "1 run");
        assert_eq!(count(0, "run", "runs"), "0 runs");
    }
}
