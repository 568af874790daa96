//! Tick positions and their labels: round numbers (1, 2, 5 × 10ⁿ), decades on a log scale, and
//! clock-aligned times (seconds, minutes, hours, days, weeks, months, years) for time axes.

/// A labelled position on an axis, in plot units.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

const SECOND: f64 = 1000.0;
const MINUTE: f64 = 60.0 * SECOND;
const HOUR: f64 = 60.0 * MINUTE;
const DAY: f64 = 24.0 * HOUR;
/// JavaScript's `Date` range; beyond it a time axis falls back to plain numbers.
const MAX_DATE_MS: f64 = 8.64e15;

/// The smallest step of the form {1, 2, 5} × 10ⁿ that puts at most `max_count` ticks in `lo..=hi`.
pub fn nice_step(lo: f64, hi: f64, max_count: usize) -> f64 {
    let max = max_count.max(2) as f64;
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return 1.0;
    }
    // Steps finer than 1e-12 of the values cannot be told apart (nor counted) in f64.
    let magnitude = lo.abs().max(hi.abs());
    let finest = (magnitude * 1e-12).log10().floor() as i32;
    let mut exponent = ((span / max).log10().floor() as i32 - 1).max(finest);
    loop {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(exponent);
            if step > 0.0 && count_multiples(lo, hi, step) <= max {
                return step;
            }
        }
        exponent += 1;
    }
}

/// How many multiples of `step` lie in `lo..=hi`.
fn count_multiples(lo: f64, hi: f64, step: f64) -> f64 {
    (hi / step).floor() - (lo / step).ceil() + 1.0
}

/// The multiples of `step` in `lo..=hi`, computed as `k * step` so errors do not add up.
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step).ceil();
    let last = (hi / step).floor();
    let mut out = Vec::new();
    let mut k = first;
    while k <= last && out.len() < 1000 {
        let v = k * step;
        if v >= lo && v <= hi {
            out.push(if v == 0.0 { 0.0 } else { v });
        }
        if k + 1.0 == k {
            break;
        }
        k += 1.0;
    }
    out
}

fn decimals_for(step: f64) -> usize {
    (-(step.log10() + 1e-9).floor()).max(0.0) as usize
}

fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A tick value as a label: as many decimals as the step needs, `k`/`M`/`G`/`T` for large values
/// and an exponent for tiny or huge ones, with one unit shared by all ticks (`magnitude` is the
/// largest absolute tick value).
pub fn format_number(value: f64, step: f64, magnitude: f64) -> String {
    let step_exponent = (step.log10() + 1e-9).floor() as i32;
    if value != 0.0 && !(1e-3..1e15).contains(&magnitude) {
        let e = (magnitude.log10() + 1e-9).floor() as i32;
        let digits = (e - step_exponent).max(0) as usize;
        let mantissa = value / 10f64.powi(e);
        return format!("{}e{e}", trim_zeros(format!("{mantissa:.digits$}")));
    }
    if value == 0.0 && !(1e-3..1e4).contains(&magnitude) {
        return "0".into();
    }
    if magnitude >= 1e4 {
        let thousands = ((magnitude.log10() + 1e-9).floor() as i32 / 3).min(4);
        let unit = 10f64.powi(3 * thousands);
        let suffix = ["", "k", "M", "G", "T"][thousands as usize];
        let digits = (3 * thousands - step_exponent).max(0) as usize;
        return format!("{}{suffix}", trim_zeros(format!("{:.digits$}", value / unit)));
    }
    format!("{value:.*}", decimals_for(step))
}

/// Round-number ticks for a linear axis.
pub fn number_ticks(lo: f64, hi: f64, max_count: usize) -> Vec<Tick> {
    labelled(lo, hi, nice_step(lo, hi, max_count))
}

/// Ticks for an axis of whole numbers (steps): the step is never below 1.
pub fn integer_ticks(lo: f64, hi: f64, max_count: usize) -> Vec<Tick> {
    labelled(lo, hi, nice_step(lo, hi, max_count).max(1.0))
}

fn labelled(lo: f64, hi: f64, step: f64) -> Vec<Tick> {
    let values = multiples(lo, hi, step);
    let magnitude = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    values
        .into_iter()
        .map(|at| Tick {
            at,
            label: format_number(at, step, magnitude),
        })
        .collect()
}

/// A power of ten or a 2× / 5× multiple of one: `0.02`, `500`, or `2e-5` when `exponent` is set.
fn format_significant(value: f64, exponent: bool) -> String {
    let e = (value.abs().log10() + 1e-9).floor() as i32;
    if exponent && e != 0 {
        let mantissa = (value / 10f64.powi(e)).round();
        format!("{mantissa}e{e}")
    } else {
        let digits = (-e).max(0) as usize;
        format!("{value:.digits$}")
    }
}

/// Ticks for a log axis whose range `lo..hi` is in decades (log10 of the values): powers of ten
/// (every n-th when there are many), with 2× and 5× between them when there is room, or round
/// values when the range is less than a decade. Labels show the values, not the exponents.
pub fn log_ticks(lo: f64, hi: f64, max_count: usize) -> Vec<Tick> {
    let max = max_count.max(2);
    if hi - lo < 1.0 {
        let (vlo, vhi) = (10f64.powf(lo), 10f64.powf(hi));
        let step = nice_step(vlo, vhi, max);
        let values = multiples(vlo, vhi, step);
        let magnitude = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        return values
            .into_iter()
            .filter(|v| *v > 0.0)
            .map(|v| Tick {
                at: v.log10(),
                label: format_number(v, step, magnitude),
            })
            .collect();
    }
    let with_multiples: Vec<(f64, f64)> = ((lo.floor() as i32)..=(hi.ceil() as i32))
        .flat_map(|e| [1.0, 2.0, 5.0].map(|m| (e, m)))
        .map(|(e, m)| (e as f64 + f64::log10(m), m * 10f64.powi(e)))
        .filter(|(at, _)| *at >= lo && *at <= hi)
        .collect();
    let ticks: Vec<(f64, f64)> = if with_multiples.len() <= max {
        with_multiples
    } else {
        let stride = nice_step(lo, hi, max).max(1.0);
        multiples(lo, hi, stride)
            .into_iter()
            .map(|e| (e, 10f64.powi(e as i32)))
            .collect()
    };
    // One notation for the whole axis: plain while every value reads well plainly.
    let exponent = ticks.iter().any(|(_, v)| !(1e-3..=1e4).contains(v));
    ticks
        .into_iter()
        .map(|(at, value)| Tick {
            at,
            label: format_significant(value, exponent),
        })
        .collect()
}

/// `UTC`, `UTC+2`, `UTC+5:30`, `UTC−3`.
pub fn utc_offset_label(minutes: i32) -> String {
    if minutes == 0 {
        return "UTC".into();
    }
    let sign = if minutes > 0 { '+' } else { '−' };
    let (h, m) = (minutes.abs() / 60, minutes.abs() % 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeStep {
    /// A fixed number of ms, aligned to multiples of it since local midnight of 1970-01-01.
    Fixed(f64),
    /// Weeks, starting on Mondays.
    Weeks(u32),
    Months(u32),
    Years(u32),
}

impl TimeStep {
    fn approx_ms(self) -> f64 {
        match self {
            TimeStep::Fixed(ms) => ms,
            TimeStep::Weeks(n) => f64::from(n) * 7.0 * DAY,
            TimeStep::Months(n) => f64::from(n) * 30.44 * DAY,
            TimeStep::Years(n) => f64::from(n) * 365.25 * DAY,
        }
    }
}

fn time_steps() -> impl Iterator<Item = TimeStep> {
    let fixed = [
        1.0,
        2.0,
        5.0,
        10.0,
        20.0,
        50.0,
        100.0,
        200.0,
        500.0,
        SECOND,
        2.0 * SECOND,
        5.0 * SECOND,
        10.0 * SECOND,
        15.0 * SECOND,
        30.0 * SECOND,
        MINUTE,
        2.0 * MINUTE,
        5.0 * MINUTE,
        10.0 * MINUTE,
        15.0 * MINUTE,
        30.0 * MINUTE,
        HOUR,
        2.0 * HOUR,
        3.0 * HOUR,
        6.0 * HOUR,
        12.0 * HOUR,
        DAY,
        2.0 * DAY,
    ]
    .map(TimeStep::Fixed);
    let calendar = [
        TimeStep::Weeks(1),
        TimeStep::Weeks(2),
        TimeStep::Months(1),
        TimeStep::Months(2),
        TimeStep::Months(3),
        TimeStep::Months(6),
    ];
    let years = (0..).flat_map(|e: u32| [1, 2, 5].map(|m| TimeStep::Years(m * 10u32.saturating_pow(e))));
    fixed.into_iter().chain(calendar).chain(years)
}

/// Tick instants (local ms) for a step.
fn time_tick_values(lo: f64, hi: f64, step: TimeStep) -> Vec<f64> {
    match step {
        TimeStep::Fixed(ms) => multiples(lo, hi, ms),
        TimeStep::Weeks(n) => {
            // 1970-01-05 was a Monday.
            let monday = 4.0 * DAY;
            multiples(lo - monday, hi - monday, f64::from(n) * 7.0 * DAY)
                .into_iter()
                .map(|v| v + monday)
                .collect()
        }
        TimeStep::Months(_) | TimeStep::Years(_) => {
            let months = match step {
                TimeStep::Months(n) => n as i64,
                TimeStep::Years(n) => 12 * n as i64,
                _ => unreachable!(),
            };
            let (y, m, _) = civil_from_days((lo / DAY).floor() as i64);
            let mut index = (y * 12 + i64::from(m) - 1).div_euclid(months) * months;
            let mut out = Vec::new();
            while out.len() < 1000 {
                let (year, month) = (index.div_euclid(12), (index.rem_euclid(12) + 1) as u32);
                let at = days_from_civil(year, month, 1) as f64 * DAY;
                if at > hi {
                    break;
                }
                if at >= lo {
                    out.push(at);
                }
                index += months;
            }
            out
        }
    }
}

/// Wall-time ticks for `lo..hi` in ms since the epoch, aligned to the clock and calendar of the
/// given UTC offset: `14:05`, `14:05:30`, `14:05:30.25`, with the date (`03-05 14:00`) on the
/// first tick and where the day changes; `2024-03-05` / `03-06` for days and weeks, `2024-03`
/// for months, `2024` for years.
pub fn wall_time_ticks(lo: f64, hi: f64, max_count: usize, utc_offset_minutes: i32) -> Vec<Tick> {
    let offset = f64::from(utc_offset_minutes) * MINUTE;
    let (llo, lhi) = (lo + offset, hi + offset);
    if !(llo.abs() < MAX_DATE_MS && lhi.abs() < MAX_DATE_MS) {
        return number_ticks(lo, hi, max_count);
    }
    let max = max_count.max(2) as f64;
    let step = time_steps()
        .find(|s| (lhi - llo) / s.approx_ms() + 1.0 <= max)
        .unwrap_or(TimeStep::Years(u32::MAX));
    let mut previous_day: Option<(i64, u32, u32)> = None;
    time_tick_values(llo, lhi, step)
        .into_iter()
        .map(|local| {
            let days = (local / DAY).floor();
            let date = civil_from_days(days as i64);
            let (year, month, day) = date;
            let in_day = local - days * DAY;
            let (h, m) = ((in_day / HOUR).floor(), ((in_day % HOUR) / MINUTE).floor());
            let s = (in_day % MINUTE) / SECOND;
            let new_day = previous_day.is_none_or(|p| p != date);
            let new_year = previous_day.is_none_or(|p| p.0 != year);
            previous_day = Some(date);
            let label = match step {
                TimeStep::Fixed(ms) if ms < DAY => {
                    let clock = if ms < SECOND {
                        let digits = (3 - (ms.log10() + 1e-9).floor() as i32).clamp(1, 3) as usize;
                        format!("{h:02}:{m:02}:{}", pad_seconds(s, digits))
                    } else if ms < MINUTE {
                        format!("{h:02}:{m:02}:{:02}", s.floor())
                    } else {
                        format!("{h:02}:{m:02}")
                    };
                    if new_day {
                        format!("{month:02}-{day:02} {clock}")
                    } else {
                        clock
                    }
                }
                TimeStep::Fixed(_) | TimeStep::Weeks(_) => {
                    if new_year {
                        format!("{year}-{month:02}-{day:02}")
                    } else {
                        format!("{month:02}-{day:02}")
                    }
                }
                TimeStep::Months(_) => format!("{year}-{month:02}"),
                TimeStep::Years(_) => format!("{year}"),
            };
            Tick {
                at: local - offset,
                label,
            }
        })
        .collect()
}

/// Seconds with `digits` decimals and a leading zero: `05.25`.
fn pad_seconds(seconds: f64, digits: usize) -> String {
    let text = format!("{seconds:.digits$}");
    if seconds < 10.0 {
        format!("0{text}")
    } else {
        text
    }
}

/// Duration ticks for `lo..hi` in ms (relative time): round durations (250ms, 15s, 5m, 6h, 7d).
pub fn duration_ticks(lo: f64, hi: f64, max_count: usize) -> Vec<Tick> {
    let max = max_count.max(2) as f64;
    let fixed = time_steps().take_while(|s| matches!(s, TimeStep::Fixed(_)));
    let step = fixed
        .map(|s| s.approx_ms())
        .chain([7.0 * DAY, 14.0 * DAY])
        .find(|ms| count_multiples(lo, hi, *ms) <= max)
        .unwrap_or_else(|| nice_step(lo / DAY, hi / DAY, max_count).max(1.0) * DAY);
    multiples(lo, hi, step)
        .into_iter()
        .map(|at| Tick {
            at,
            label: format_duration(at, step),
        })
        .collect()
}

/// A duration in ms as `0`, `250ms`, `1.5s`, `45s`, `1m30s`, `2h`, `1d6h`, down to the unit of
/// `step` (sub-second steps show fractional seconds).
pub fn format_duration(ms: f64, step: f64) -> String {
    if ms == 0.0 {
        return "0".into();
    }
    let sign = if ms < 0.0 { "-" } else { "" };
    let total = ms.abs().round();
    if step < SECOND && total < SECOND {
        return format!("{sign}{total}ms");
    }
    let units = [(DAY, "d"), (HOUR, "h"), (MINUTE, "m")];
    let smallest = units.iter().position(|(size, _)| step >= *size).unwrap_or(units.len());
    let mut rest = total;
    let mut text = String::from(sign);
    for (i, (size, name)) in units.iter().enumerate() {
        let whole = (rest / size).floor();
        rest -= whole * size;
        if whole > 0.0 {
            text.push_str(&format!("{whole}{name}"));
        }
        if i == smallest || rest == 0.0 {
            return text;
        }
    }
    let digits = if step < SECOND {
        (3 - (step.log10() + 1e-9).floor() as i32).clamp(1, 3) as usize
    } else {
        0
    };
    text.push_str(&trim_zeros(format!("{:.digits$}", rest / SECOND)));
    text.push('s');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels(ticks: &[Tick]) -> Vec<&str> {
        ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn round_numbers() {
        assert_eq!(
            labels(&number_ticks(0.0, 1.0, 6)),
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert_eq!(labels(&number_ticks(-0.03, 0.27, 4)), ["0.0", "0.1", "0.2"]);
        assert_eq!(
            labels(&integer_ticks(0.0, 100_000.0, 6)),
            ["0", "20k", "40k", "60k", "80k", "100k"]
        );
        assert_eq!(labels(&integer_ticks(0.0, 3.0, 10)), ["0", "1", "2", "3"]);
        assert_eq!(labels(&number_ticks(1e-5, 4e-5, 4)), ["1e-5", "2e-5", "3e-5", "4e-5"]);
        assert_eq!(labels(&number_ticks(1.2e6, 1.5e6, 4)), ["1.2M", "1.3M", "1.4M", "1.5M"]);
        assert_eq!(labels(&number_ticks(0.0, 3e20, 4)), ["0", "1e20", "2e20", "3e20"]);
    }

    #[test]
    fn log_ticks_are_decades_or_round_values() {
        assert_eq!(labels(&log_ticks(-3.0, 1.0, 10)), ["0.001", "0.01", "0.1", "1", "10"]);
        assert_eq!(labels(&log_ticks(0.0, 1.0, 10)), ["1", "2", "5", "10"]);
        assert_eq!(
            labels(&log_ticks(-12.0, 12.0, 5)),
            ["1e-10", "1e-5", "1", "1e5", "1e10"]
        );
        let narrow = log_ticks(2f64.log10(), 3f64.log10(), 5);
        assert_eq!(labels(&narrow), ["2.0", "2.5", "3.0"]);
    }

    #[test]
    fn calendar_conversions_agree() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_787), (2024, 3, 5));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    // 2024-03-05 14:00:00 UTC
    const T: f64 = 1_709_647_200_000.0;

    #[test]
    fn wall_time_ticks_follow_the_clock() {
        let ticks = wall_time_ticks(T, T + 4.0 * HOUR, 5, 0);
        assert_eq!(labels(&ticks), ["03-05 14:00", "15:00", "16:00", "17:00", "18:00"]);
        let crossing = wall_time_ticks(T + 8.0 * HOUR, T + 12.0 * HOUR, 3, 0);
        assert_eq!(labels(&crossing), ["03-05 22:00", "03-06 00:00", "02:00"]);
        let local = wall_time_ticks(T, T + 2.0 * HOUR, 3, 90);
        assert_eq!(labels(&local), ["03-05 16:00", "17:00"]);
        assert_eq!(local[0].at, T + 30.0 * MINUTE);
        let seconds = wall_time_ticks(T, T + 1500.0, 4, 0);
        assert_eq!(
            labels(&seconds),
            ["03-05 14:00:00.0", "14:00:00.5", "14:00:01.0", "14:00:01.5"]
        );
        let days = wall_time_ticks(T, T + 3.0 * DAY, 4, 0);
        assert_eq!(labels(&days), ["2024-03-06", "03-07", "03-08"]);
        let months = wall_time_ticks(T, T + 200.0 * DAY, 4, 0);
        assert_eq!(labels(&months), ["2024-04", "2024-07"]);
        let weeks = wall_time_ticks(T, T + 20.0 * DAY, 4, 0);
        assert_eq!(labels(&weeks), ["2024-03-11", "03-18", "03-25"]);
        assert_eq!(utc_offset_label(-210), "UTC−3:30");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(90.0 * MINUTE, 30.0 * MINUTE), "1h30m");
        assert_eq!(format_duration(2.0 * HOUR, HOUR), "2h");
        assert_eq!(format_duration(1500.0, 500.0), "1.5s");
        assert_eq!(format_duration(250.0, 50.0), "250ms");
        assert_eq!(format_duration(DAY + 6.0 * HOUR, 6.0 * HOUR), "1d6h");
        assert_eq!(format_duration(-45.0 * SECOND, 15.0 * SECOND), "-45s");
        assert_eq!(format_duration(61.5 * SECOND, 500.0), "1m1.5s");
        assert_eq!(
            labels(&duration_ticks(0.0, 10.0 * MINUTE, 6)),
            ["0", "2m", "4m", "6m", "8m", "10m"]
        );
        assert_eq!(labels(&duration_ticks(0.0, 90.0 * DAY, 4)), ["0", "50d"]);
    }

    proptest! {
        #[test]
        fn ticks_are_in_range_increasing_and_bounded(
            lo in -1e12f64..1e12, span_exp in -6.0f64..12.0, max in 2usize..15, offset in -720i32..840,
        ) {
            let hi = lo + 10f64.powf(span_exp);
            prop_assume!(hi > lo);
            let all = [
                number_ticks(lo, hi, max),
                integer_ticks(lo, hi, max),
                duration_ticks(lo, hi, max),
                wall_time_ticks(lo.abs(), lo.abs() + (hi - lo), max, offset),
            ];
            for (i, ticks) in all.iter().enumerate() {
                prop_assert!(ticks.len() <= max, "{i}: {} ticks > {max}", ticks.len());
                prop_assert!(ticks.windows(2).all(|w| w[0].at < w[1].at));
                prop_assert!(ticks.iter().all(|t| !t.label.is_empty() && t.at.is_finite()));
            }
            for t in &all[0] { prop_assert!(t.at >= lo && t.at <= hi); }
        }

        #[test]
        fn log_ticks_are_in_range(lo in -300.0f64..300.0, span in 0.01f64..50.0, max in 2usize..15) {
            let hi = lo + span;
            let ticks = log_ticks(lo, hi, max);
            prop_assert!(ticks.len() <= max.max(2));
            prop_assert!(ticks.iter().all(|t| t.at >= lo - 1e-9 && t.at <= hi + 1e-9 && !t.label.is_empty()));
            prop_assert!(ticks.windows(2).all(|w| w[0].at < w[1].at));
        }
    }
}
