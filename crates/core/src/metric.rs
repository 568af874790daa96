//! Metric values, which MLflow allows to be NaN or ±infinity.
//!
//! JSON has no spelling for those, and serde_json writes `null` for them and cannot read that back.
//! `MetricValue` travels as a JSON number when finite and as the strings `"NaN"`, `"Infinity"`,
//! `"-Infinity"` otherwise — the same spelling MLflow's REST API uses.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, Default)]
pub struct MetricValue(pub f64);

/// What a metric value is, for charts and tables that must show non-finite values as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueClass {
    Finite,
    Nan,
    PosInf,
    NegInf,
}

impl MetricValue {
    pub fn get(self) -> f64 {
        self.0
    }

    /// SQL stores keep ±infinity as ±f64::MAX (MLflow cannot store infinity there), so a value of
    /// exactly ±f64::MAX is classed as infinite: that is what the user logged.
    pub fn class(self) -> ValueClass {
        let v = self.0;
        if v.is_nan() {
            ValueClass::Nan
        } else if v == f64::INFINITY || v == f64::MAX {
            ValueClass::PosInf
        } else if v == f64::NEG_INFINITY || v == f64::MIN {
            ValueClass::NegInf
        } else {
            ValueClass::Finite
        }
    }

    pub fn is_finite_value(self) -> bool {
        self.class() == ValueClass::Finite
    }

    /// Parses the spellings MLflow's stores and APIs use: numbers, `nan`, `inf`, `-inf`,
    /// `NaN`, `Infinity`, `-Infinity`.
    pub fn parse(text: &str) -> Option<MetricValue> {
        let t = text.trim();
        let v = match t {
            "nan" | "NaN" | "-nan" => f64::NAN,
            "inf" | "Infinity" | "+inf" | "infinity" => f64::INFINITY,
            "-inf" | "-Infinity" | "-infinity" => f64::NEG_INFINITY,
            _ => t.parse::<f64>().ok()?,
        };
        Some(MetricValue(v))
    }
}

impl PartialEq for MetricValue {
    /// NaN equals NaN here: two histories with NaN at the same step are the same history.
    fn eq(&self, other: &Self) -> bool {
        (self.0.is_nan() && other.0.is_nan()) || self.0 == other.0
    }
}

impl From<f64> for MetricValue {
    fn from(v: f64) -> Self {
        MetricValue(v)
    }
}

impl fmt::Display for MetricValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            f.write_str("NaN")
        } else if v == f64::INFINITY {
            f.write_str("Infinity")
        } else if v == f64::NEG_INFINITY {
            f.write_str("-Infinity")
        } else {
            write!(f, "{v}")
        }
    }
}

impl Serialize for MetricValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() {
            s.serialize_f64(v)
        } else {
            s.serialize_str(&self.to_string())
        }
    }
}

impl<'de> Deserialize<'de> for MetricValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MetricValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or one of \"NaN\", \"Infinity\", \"-Infinity\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MetricValue, E> {
                Ok(MetricValue(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MetricValue, E> {
                Ok(MetricValue(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MetricValue, E> {
                Ok(MetricValue(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MetricValue, E> {
                MetricValue::parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_values_round_trip_through_json() {
        let values = [1.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.25, 1e300];
        let json = serde_json::to_string(&values.map(MetricValue)).unwrap();
        assert_eq!(json, r#"[1.5,"NaN","Infinity","-Infinity",-0.25,1e+300]"#);
        let back: Vec<MetricValue> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, values.map(MetricValue).to_vec());
    }

    #[test]
    fn sql_infinity_is_classed_as_infinite() {
        assert_eq!(MetricValue(f64::MAX).class(), ValueClass::PosInf);
        assert_eq!(MetricValue(f64::MIN).class(), ValueClass::NegInf);
        assert_eq!(MetricValue(3.0).class(), ValueClass::Finite);
        assert_eq!(MetricValue(f64::NAN).class(), ValueClass::Nan);
    }

    #[test]
    fn parses_python_and_json_spellings() {
        assert!(MetricValue::parse("nan").unwrap().0.is_nan());
        assert_eq!(MetricValue::parse("-inf").unwrap().0, f64::NEG_INFINITY);
        assert_eq!(MetricValue::parse("Infinity").unwrap().0, f64::INFINITY);
        assert_eq!(MetricValue::parse(" 0.5 ").unwrap().0, 0.5);
        assert!(MetricValue::parse("zero").is_none());
    }
}
