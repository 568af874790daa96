//! How times, durations and values read on screen.

use runlens_core::MetricValue;

/// Local date and time, `2026-11-24 13:05`.
pub fn datetime(ms: Option<i64>) -> String {
    let Some(ms) = ms else { return String::new() };
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// `3d 04h`, `1h 02m`, `3m 20s`, `850ms`; empty when the run has not ended.
pub fn duration(start: Option<i64>, end: Option<i64>) -> String {
    let (Some(s), Some(e)) = (start, end) else {
        return String::new();
    };
    let ms = (e - s).max(0);
    let secs = ms / 1000;
    match secs {
        0 => format!("{ms}ms"),
        1..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m {:02}s", secs / 60, secs % 60),
        3600..=172_799 => format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60),
        _ => format!("{}d {:02}h", secs / 86_400, (secs % 86_400) / 3600),
    }
}

/// A count with thousands separators: `10,000`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A metric value with four significant digits; NaN and infinities spelled out.
pub fn metric(v: MetricValue) -> String {
    match v.class() {
        runlens_core::metric::ValueClass::Nan => "NaN".into(),
        runlens_core::metric::ValueClass::PosInf => "∞".into(),
        runlens_core::metric::ValueClass::NegInf => "−∞".into(),
        runlens_core::metric::ValueClass::Finite => {
            let x = v.get();
            if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
                format!("{x:.3e}")
            } else {
                let s = format!("{x:.4}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
        }
    }
}

/// A file size: `512 B`, `3.4 KB`, `12 MB` (powers of 1024, one decimal under 10).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut size = n as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if size < 10.0 {
        format!("{size:.1} {}", UNITS[unit])
    } else {
        format!("{size:.0} {}", UNITS[unit])
    }
}

/// An optional plain number (a metric's min or max) like [`metric`]; empty when absent.
pub fn optional_number(x: Option<f64>) -> String {
    x.map(|x| metric(MetricValue::from(x))).unwrap_or_default()
}
