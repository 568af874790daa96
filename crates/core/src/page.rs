//! Paging: every list that can be long comes a page at a time, continued by an opaque token.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

impl<T> Page<T> {
    pub fn last(items: Vec<T>) -> Self {
        Page {
            items,
            next_page_token: None,
        }
    }

    /// Cuts one page out of an already ordered list; the token is the offset of the next page.
    pub fn slice(mut all: Vec<T>, request: &PageRequest) -> Result<Self, crate::ApiError> {
        let offset = request.offset()?;
        let limit = request.limit();
        if offset >= all.len() {
            return Ok(Page::last(Vec::new()));
        }
        let rest = all.split_off(offset);
        let has_more = rest.len() > limit;
        let items: Vec<T> = rest.into_iter().take(limit).collect();
        let next_page_token = has_more.then(|| (offset + limit).to_string());
        Ok(Page { items, next_page_token })
    }
}

/// `max_results` and `page_token` as MLflow takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

impl PageRequest {
    /// MLflow's default page size for run and experiment searches.
    pub const DEFAULT_LIMIT: usize = 1000;
    /// MLflow's ceiling for run searches.
    pub const MAX_LIMIT: usize = 50_000;

    pub fn limit(&self) -> usize {
        self.max_results
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT)
    }

    /// Local stores use the offset of the next item as their page token.
    pub fn offset(&self) -> Result<usize, crate::ApiError> {
        match &self.page_token {
            None => Ok(0),
            Some(t) if t.is_empty() => Ok(0),
            Some(t) => t
                .parse()
                .map_err(|_| crate::ApiError::invalid(format!("invalid page token {t:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_pages_with_offset_tokens() {
        let req = PageRequest {
            max_results: Some(2),
            page_token: None,
        };
        let p = Page::slice(vec![1, 2, 3, 4, 5], &req).unwrap();
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(p.next_page_token.as_deref(), Some("2"));
        let req = PageRequest {
            max_results: Some(2),
            page_token: Some("4".into()),
        };
        let p = Page::slice(vec![1, 2, 3, 4, 5], &req).unwrap();
        assert_eq!(p.items, vec![5]);
        assert_eq!(p.next_page_token, None);
        let bad = PageRequest {
            max_results: None,
            page_token: Some("x".into()),
        };
        assert!(Page::slice(vec![1], &bad).is_err());
    }
}
