//! Locating serde errors at the value itself.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// Deserializes `T` from within the YAML node itself rather than after reading it whole, so
/// serde_yaml puts this field's path and position on `T`'s errors (`stages[2].weight: ...`
/// at the value, not at the enclosing mapping).
pub(super) fn located<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::{Error, MapAccess, SeqAccess, Visitor, value};
    use serde_yaml::Value;

    struct InPlace<T>(std::marker::PhantomData<T>);

    fn convert<T: serde::de::DeserializeOwned, E: Error>(v: Value) -> Result<T, E> {
        T::deserialize(v).map_err(E::custom)
    }

    impl<'de, T: serde::de::DeserializeOwned> Visitor<'de> for InPlace<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a plain value")
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<T, E> {
            convert(Value::Bool(v))
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<T, E> {
            convert(Value::Number(v.into()))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<T, E> {
            convert(Value::Number(v.into()))
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<T, E> {
            convert(Value::Number(v.into()))
        }
        // Beyond 64 bits a YAML value cannot hold the number: `T` gets it as it is.
        fn visit_u128<E: Error>(self, v: u128) -> Result<T, E> {
            T::deserialize(value::U128Deserializer::<E>::new(v))
        }
        fn visit_i128<E: Error>(self, v: i128) -> Result<T, E> {
            T::deserialize(value::I128Deserializer::<E>::new(v))
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<T, E> {
            convert(Value::String(v.into()))
        }
        fn visit_unit<E: Error>(self) -> Result<T, E> {
            convert(Value::Null)
        }
        fn visit_none<E: Error>(self) -> Result<T, E> {
            convert(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<T, A::Error> {
            convert(Value::deserialize(value::SeqAccessDeserializer::new(a))?)
        }
        fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<T, A::Error> {
            convert(Value::deserialize(value::MapAccessDeserializer::new(a))?)
        }
    }

    d.deserialize_any(InPlace(std::marker::PhantomData))
}
