//! Themes: semantic roles (text, danger, canary, ...) mapped to styles, loaded from YAML.
//!
//! Built-ins (`dark`, `light`, `high-contrast`) are the files in `themes/`, embedded at
//! build time; `mono` (and `NO_COLOR`) uses no colour at all, only bold, reverse and
//! underline. Nothing on screen relies on colour alone: every status also carries a word
//! or a symbol, so a monochrome terminal loses nothing but decoration.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::{Deserialize, Deserializer};

use crate::analysis::judge::Classification;
use crate::analysis::judge::score::Outcome;
use crate::engine::{GateStatus, PhaseName, Severity};

/// A theme file holds a few dozen colours; a larger file is not one.
const THEME_FILE_BYTES: u64 = 64 * 1024;

const DARK: &str = include_str!("../../themes/dark.yaml");
const LIGHT: &str = include_str!("../../themes/light.yaml");
const HIGH_CONTRAST: &str = include_str!("../../themes/high-contrast.yaml");

/// Names accepted by `--theme` besides a path to a YAML file.
pub const BUILT_IN: &[&str] = &["dark", "light", "high-contrast", "mono"];

/// Resolved styles for every role the UI draws with.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// No colours: only modifiers. Set by `mono` and by `NO_COLOR`.
    pub mono: bool,
    pub text: Style,
    pub muted: Style,
    pub border: Style,
    pub border_focus: Style,
    pub title: Style,
    pub success: Style,
    pub warning: Style,
    pub danger: Style,
    pub info: Style,
    pub canary: Style,
    pub stable: Style,
    /// The selected row.
    pub selection: Style,
    /// The header band.
    pub header: Style,
    /// Loud banners: rolling back, router down.
    pub alarm: Style,
    /// Key names in the footer and the help.
    pub key: Style,
}

/// A theme file: every role, as a colour name, `#rrggbb` or a 0-255 palette index.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    text: Colour,
    muted: Colour,
    border: Colour,
    border_focus: Colour,
    title: Colour,
    success: Colour,
    warning: Colour,
    danger: Colour,
    info: Colour,
    canary: Colour,
    stable: Colour,
    selection_bg: Colour,
    header_bg: Colour,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Colour(Color);

const COLOUR_NAMES: &[(&str, Color)] = &[
    ("default", Color::Reset),
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("grey", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("darkgrey", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("white", Color::White),
];

fn parse_colour(text: &str) -> Result<Color, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase().replace(['-', '_', ' '], "");
    if let Some((_, c)) = COLOUR_NAMES.iter().find(|(n, _)| *n == lower) {
        return Ok(*c);
    }
    if let Some(hex) = t.strip_prefix('#')
        && hex.len() == 6
        && hex.chars().all(|c| c.is_ascii_hexdigit())
    {
        let v = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
        return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    if let Ok(i) = t.parse::<u8>() {
        return Ok(Color::Indexed(i));
    }
    Err(format!(
        "unknown colour {text:?}: use a name (black, red, green, yellow, blue, magenta, cyan, gray, \
         darkgray, lightred, lightgreen, lightyellow, lightblue, lightmagenta, lightcyan, white, \
         default), #rrggbb or a palette index 0-255"
    ))
}

impl<'de> Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Colour;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a colour: a name, #rrggbb or a palette index 0-255")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Colour, E> {
                parse_colour(v).map(Colour).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Colour, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Colour, E> {
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::from_yaml(DARK, "dark").unwrap_or_else(|_| Theme::mono())
    }
}

impl Theme {
    /// `choice`: a built-in name (`dark` when absent, `light`, `high-contrast`, `mono`) or a
    /// path to a YAML theme file. `no_color` (the `NO_COLOR` convention) makes any choice
    /// monochrome; a bad theme file is still reported.
    pub fn resolve(choice: Option<&str>, no_color: bool) -> Result<Theme, String> {
        let theme = match choice.unwrap_or("dark") {
            "dark" => Theme::from_yaml(DARK, "dark")?,
            "light" => Theme::from_yaml(LIGHT, "light")?,
            "high-contrast" => Theme::from_yaml(HIGH_CONTRAST, "high-contrast")?,
            "mono" => Theme::mono(),
            other => {
                let path = Path::new(other);
                if !path.exists() && !other.contains(['/', '\\', '.']) {
                    return Err(format!(
                        "unknown theme {other:?}: use one of {} or a path to a YAML theme file",
                        BUILT_IN.join(", ")
                    ));
                }
                let text =
                    crate::files::read_text(path, THEME_FILE_BYTES).map_err(|e| format!("{other}: theme file {e}"))?;
                Theme::from_yaml(&text, other)?
            }
        };
        Ok(if no_color { Theme::mono() } else { theme })
    }

    /// Parses a theme file; errors read `origin:line:col: message`.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Theme, String> {
        let file: ThemeFile = serde_yaml::from_str(text).map_err(|e| {
            let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            let mut msg = e.to_string();
            if let Some(cut) = msg.find(" at line ") {
                msg.truncate(cut);
            }
            format!("{origin}:{line}:{col}: {msg}")
        })?;
        let fg = |c: Colour| Style::new().fg(c.0);
        let name = file.name.unwrap_or_else(|| origin.to_string());
        Ok(Theme {
            name,
            mono: false,
            text: fg(file.text),
            muted: fg(file.muted),
            border: fg(file.border),
            border_focus: fg(file.border_focus).add_modifier(Modifier::BOLD),
            title: fg(file.title).add_modifier(Modifier::BOLD),
            success: fg(file.success),
            warning: fg(file.warning),
            danger: fg(file.danger).add_modifier(Modifier::BOLD),
            info: fg(file.info),
            canary: fg(file.canary),
            stable: fg(file.stable),
            selection: Style::new().bg(file.selection_bg.0).add_modifier(Modifier::BOLD),
            header: Style::new().fg(file.text.0).bg(file.header_bg.0),
            alarm: fg(file.danger).add_modifier(Modifier::BOLD | Modifier::REVERSED),
            key: fg(file.title).add_modifier(Modifier::BOLD),
        })
    }

    /// No colour anywhere: emphasis by modifiers only.
    pub fn mono() -> Theme {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            name: "mono".into(),
            mono: true,
            text: plain,
            muted: plain,
            border: plain,
            border_focus: bold,
            title: bold,
            success: plain,
            warning: bold,
            danger: bold,
            info: plain,
            canary: bold,
            stable: plain,
            selection: Style::new().add_modifier(Modifier::REVERSED),
            header: plain,
            alarm: Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            key: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        }
    }

    pub fn severity(&self, severity: Severity) -> Style {
        match severity {
            Severity::Info => self.text,
            Severity::Success => self.success,
            Severity::Warning => self.warning,
            Severity::Danger => self.danger,
        }
    }

    pub fn gate(&self, status: GateStatus) -> Style {
        match status {
            GateStatus::Idle | GateStatus::Waiting => self.muted,
            GateStatus::Pass => self.success,
            GateStatus::Warn | GateStatus::NoData | GateStatus::Stale => self.warning,
            GateStatus::Fail => self.danger,
        }
    }

    /// A metric's classification by the canary judge: only Pass is calm.
    pub fn classification(&self, c: Classification) -> Style {
        match c {
            Classification::Pass => self.success,
            Classification::NoData => self.warning,
            Classification::High | Classification::Low | Classification::Error => self.danger,
        }
    }

    /// The canary judge's verdict on an interval.
    pub fn outcome(&self, o: Outcome) -> Style {
        match o {
            Outcome::Pass => self.success,
            Outcome::Marginal | Outcome::NoData => self.warning,
            Outcome::Fail => self.danger,
        }
    }

    /// The state badge in the header.
    pub fn phase(&self, phase: PhaseName) -> Style {
        let base = match phase {
            PhaseName::Pending => self.info,
            PhaseName::Running | PhaseName::Done => self.success,
            PhaseName::Paused | PhaseName::Held => self.warning,
            PhaseName::Aborted | PhaseName::RollingBack | PhaseName::RolledBack => self.danger,
        };
        base.add_modifier(Modifier::BOLD | Modifier::REVERSED)
    }
}

/// The symbol and word for a rollback trigger's status: a trigger does not pass, it is
/// calm, counting (WARN) or FIRED.
pub fn trigger_badge(status: GateStatus) -> &'static str {
    match status {
        GateStatus::Pass => "✔ calm",
        GateStatus::Fail => "✖ FIRED",
        other => gate_badge(other),
    }
}

/// The symbol and word for a gate status: never colour alone.
pub fn gate_badge(status: GateStatus) -> &'static str {
    match status {
        GateStatus::Idle => "· idle",
        GateStatus::Waiting => "◌ wait",
        GateStatus::Pass => "✔ PASS",
        GateStatus::Warn => "▲ WARN",
        GateStatus::Fail => "✖ FAIL",
        GateStatus::NoData => "? NO DATA",
        GateStatus::Stale => "~ STALE",
    }
}

/// The symbol and word for a metric's classification by the canary judge, in capitals like
/// every other status on screen.
pub fn classification_badge(c: Classification) -> &'static str {
    match c {
        Classification::Pass => "✔ PASS",
        Classification::High => "✖ HIGH",
        Classification::Low => "✖ LOW",
        Classification::NoData => "? NO DATA",
        Classification::Error => "✖ ERROR",
    }
}

/// The symbol and word for the canary judge's verdict on an interval.
pub fn outcome_badge(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✔ PASS",
        Outcome::Marginal => "▲ MARGINAL",
        Outcome::Fail => "✖ FAIL",
        Outcome::NoData => "? NO DATA",
    }
}

/// The symbol in front of the release state.
pub fn phase_symbol(phase: PhaseName) -> &'static str {
    match phase {
        PhaseName::Pending => "○",
        PhaseName::Running => "▶",
        PhaseName::Paused => "‖",
        PhaseName::Held => "■",
        PhaseName::Done => "✔",
        PhaseName::Aborted => "✖",
        PhaseName::RollingBack | PhaseName::RolledBack => "↺",
    }
}

/// The symbol marking a log line's severity.
pub fn severity_symbol(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "·",
        Severity::Success => "✔",
        Severity::Warning => "▲",
        Severity::Danger => "✖",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_colour(style: Style) -> bool {
        style.fg.is_some_and(|c| c != Color::Reset) || style.bg.is_some_and(|c| c != Color::Reset)
    }

    fn all_styles(t: &Theme) -> [Style; 15] {
        [
            t.text,
            t.muted,
            t.border,
            t.border_focus,
            t.title,
            t.success,
            t.warning,
            t.danger,
            t.info,
            t.canary,
            t.stable,
            t.selection,
            t.header,
            t.alarm,
            t.key,
        ]
    }

    #[test]
    fn built_ins_parse() {
        for name in ["dark", "light", "high-contrast"] {
            let theme = Theme::resolve(Some(name), false).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!theme.mono);
            assert_eq!(theme.name, name);
            assert!(has_colour(theme.danger), "{name} has colours");
        }
        assert_eq!(Theme::resolve(None, false).unwrap().name, "dark");
        assert_eq!(Theme::default().name, "dark");
    }

    #[test]
    fn mono_and_no_color_have_no_colours() {
        for theme in [
            Theme::resolve(Some("mono"), false).unwrap(),
            Theme::resolve(Some("light"), true).unwrap(),
        ] {
            assert!(theme.mono);
            for style in all_styles(&theme) {
                assert!(!has_colour(style), "{style:?}");
            }
            // Emphasis survives without colour.
            assert!(theme.alarm.add_modifier.contains(Modifier::REVERSED));
            assert!(theme.selection.add_modifier.contains(Modifier::REVERSED));
        }
    }

    #[test]
    fn unknown_key_is_located() {
        let mut text = DARK.to_string();
        text.push_str("sparkle: red\n");
        let err = Theme::from_yaml(&text, "my.yaml").unwrap_err();
        let line = text.lines().count();
        assert!(
            err.starts_with(&format!("my.yaml:{line}:1: unknown field `sparkle`")),
            "{err}"
        );
    }

    #[test]
    fn unknown_colour_is_located() {
        let text = DARK.replace("danger: lightred", "danger: blurple");
        assert_ne!(text, DARK, "the dark theme sets danger to lightred");
        let line = text.lines().position(|l| l.starts_with("danger:")).unwrap() + 1;
        let err = Theme::from_yaml(&text, "t.yaml").unwrap_err();
        assert!(err.starts_with(&format!("t.yaml:{line}:")), "{err}");
        assert!(err.contains("unknown colour \"blurple\""), "{err}");
    }

    #[test]
    fn missing_role_is_reported() {
        let text: String = DARK
            .lines()
            .filter(|l| !l.starts_with("canary:"))
            .map(|l| format!("{l}\n"))
            .collect();
        let err = Theme::from_yaml(&text, "t.yaml").unwrap_err();
        assert!(err.contains("missing field `canary`"), "{err}");
    }

    #[test]
    fn colours_by_name_hex_and_index() {
        assert_eq!(parse_colour("light-red"), Ok(Color::LightRed));
        assert_eq!(parse_colour("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert_eq!(parse_colour("208"), Ok(Color::Indexed(208)));
        assert!(parse_colour("#ff80").is_err());
        assert!(parse_colour("256").is_err());
    }

    #[test]
    fn theme_from_a_file_and_unknown_names() {
        let dir = std::env::temp_dir().join(format!("shipdeck-theme-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mine.yaml");
        std::fs::write(&path, LIGHT.replace("name: light", "name: mine")).unwrap();
        let theme = Theme::resolve(path.to_str(), false).unwrap();
        assert_eq!(theme.name, "mine");
        assert!(Theme::resolve(path.to_str(), true).unwrap().mono);
        std::fs::remove_dir_all(&dir).ok();

        let err = Theme::resolve(Some("solarized"), false).unwrap_err();
        assert!(
            err.contains("unknown theme \"solarized\"") && err.contains("high-contrast"),
            "{err}"
        );
        let err = Theme::resolve(Some("/nonexistent/theme.yaml"), false).unwrap_err();
        assert!(
            err.starts_with("/nonexistent/theme.yaml: theme file does not exist"),
            "{err}"
        );
    }

    #[test]
    fn every_status_has_a_word_or_symbol() {
        use GateStatus::*;
        for status in [Idle, Waiting, Pass, Warn, Fail, NoData, Stale] {
            let badge = gate_badge(status);
            assert!(badge.contains(status.label()), "{badge}");
            assert!(
                badge.chars().next().is_some_and(|c| !c.is_alphanumeric()),
                "{badge} starts with a symbol"
            );
        }
        use Classification as C;
        for c in [C::Pass, C::High, C::Low, C::NoData, C::Error] {
            let badge = classification_badge(c);
            let word = badge.split_once(' ').map_or("", |(_, w)| w);
            assert!(
                word.replace(' ', "").eq_ignore_ascii_case(c.as_str()) && !badge.starts_with(word),
                "{badge}"
            );
        }
        for o in [Outcome::Pass, Outcome::Marginal, Outcome::Fail, Outcome::NoData] {
            let badge = outcome_badge(o);
            assert!(badge.ends_with(o.label()) && !badge.starts_with(o.label()), "{badge}");
        }
    }
}
