//! Styles, with and without colour.
//!
//! <https://no-color.org>: when `NO_COLOR` is set and not empty, no colour
//! is used. Bold, dim, underline and reverse video still mark what colour
//! would, so nothing is lost.

use ratatui::style::{Color, Modifier, Style};

use crate::verdict::Pattern;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` says otherwise.
    pub fn from_env() -> Theme {
        let no_color =
            std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn pick(&self, color: Style, plain: Style) -> Style {
        if self.color { color } else { plain }
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// A chunk's size line: the thing this tool is about.
    pub fn size_line(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// CR LF, and other framing that is not data.
    pub fn framing(&self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    /// The response head's bytes.
    pub fn head(&self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new())
    }

    pub fn dim(&self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    pub fn error(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn good(&self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    pub fn busy(&self) -> Style {
        self.pick(Style::new().fg(Color::Yellow), Style::new())
    }

    /// The selected row, and the current tab.
    pub fn selected(&self) -> Style {
        self.pick(
            Style::new()
                .bg(Color::DarkGray)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    /// A key in the hints.
    pub fn key(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// A verdict's pattern: a stream is good news, a burst bad, and the
    /// rest says little.
    pub fn pattern(&self, pattern: Pattern) -> Style {
        match pattern {
            Pattern::Stream => self.good(),
            Pattern::BurstAtEnd | Pattern::BurstsBySize | Pattern::HeadHeld => {
                self.error()
            }
            Pattern::SinglePiece | Pattern::Incomplete => self.dim(),
        }
    }

    /// Bars in the timeline.
    pub fn bar(&self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }
}
