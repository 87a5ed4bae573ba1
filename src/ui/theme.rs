//! Provisional: replaced by the themes loader.
#[derive(Debug, Clone, Default)]
pub struct Theme;
impl Theme {
    pub fn resolve(choice: Option<&str>, no_color: bool) -> Result<Theme, String> {
        let _ = (choice, no_color);
        Ok(Theme)
    }
}
