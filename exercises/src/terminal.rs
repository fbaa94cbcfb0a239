//! The terminal: raw mode for single keys, always given back, and the
//! picker that `list` shows.
//!
//! Raw mode is on only while the runner waits for a key. Builds and test
//! output run in the terminal's normal mode, so that Ctrl-C there is the
//! usual SIGINT and stops cargo too, and `\n` is a new line.

use std::io::{self, IsTerminal, Write};
use std::sync::Once;
use std::time::Duration;

use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::event::KeyModifiers;
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind};
use crossterm::style::{Attribute, Print, SetAttribute};
use crossterm::terminal::{
    self, Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{execute, queue};

/// Whether keys can be read one by one and a picker drawn: both stdin and
/// stdout are a terminal.
pub fn interactive() -> bool {
    io::stdin().is_terminal() && io::stdout().is_terminal()
}

/// Raw mode for as long as it lives. Dropping it (on return, `?` or a
/// panic's unwinding) gives the terminal back; the panic hook does so
/// before the panic's message is printed, so the message is readable.
pub struct RawMode {
    alternate: bool,
}

impl RawMode {
    pub fn on() -> io::Result<RawMode> {
        RawMode::enter(false)
    }

    /// Raw mode on the alternate screen, which puts back what was on the
    /// screen before (watch's last run) when it is dropped.
    fn on_alternate_screen() -> io::Result<RawMode> {
        RawMode::enter(true)
    }

    fn enter(alternate: bool) -> io::Result<RawMode> {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let default = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let _ = restore(true);
                default(info);
            }));
        });
        terminal::enable_raw_mode()?;
        // The guard exists before anything else can fail.
        let guard = RawMode { alternate };
        if alternate {
            execute!(io::stdout(), EnterAlternateScreen, Hide)?;
        }
        Ok(guard)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = restore(self.alternate);
    }
}

fn restore(alternate: bool) -> io::Result<()> {
    if alternate {
        execute!(io::stdout(), Show, LeaveAlternateScreen)?;
    }
    // A no-op when raw mode is off, so the panic hook may always call it.
    terminal::disable_raw_mode()
}

/// The next key pressed within `timeout`, if any. Only presses: releases
/// and repeats (which some terminals report) are not keys typed again.
pub fn next_key(timeout: Duration) -> io::Result<Option<KeyEvent>> {
    if !event::poll(timeout)? {
        return Ok(None);
    }
    match event::read()? {
        Event::Key(key) if key.kind == KeyEventKind::Press => Ok(Some(key)),
        _ => Ok(None),
    }
}

/// Ctrl-C: in raw mode the terminal sends it as a key, not as SIGINT.
pub fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c')
        && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// A list to choose from, on the alternate screen: ↑↓ or j/k move,
/// Home/End or g/G jump, Enter chooses, q, Esc or Ctrl-C go back. Returns
/// the chosen row.
pub fn pick(
    title: &str,
    rows: &[String],
    mut selected: usize,
) -> io::Result<Option<usize>> {
    let _raw = RawMode::on_alternate_screen()?;
    let last = rows.len().saturating_sub(1);
    loop {
        draw(title, rows, selected)?;
        let Some(key) = next_key(Duration::from_secs(3600))? else {
            continue;
        };
        if is_ctrl_c(&key) {
            return Ok(None);
        }
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => {
                selected = selected.saturating_sub(1);
            }
            KeyCode::Down | KeyCode::Char('j') => {
                selected = (selected + 1).min(last);
            }
            KeyCode::Home | KeyCode::Char('g') => selected = 0,
            KeyCode::End | KeyCode::Char('G') => selected = last,
            KeyCode::Enter => return Ok(Some(selected)),
            KeyCode::Esc | KeyCode::Char('q') => return Ok(None),
            _ => {}
        }
    }
}

/// The picker's screen. The rows scroll with the selection when the
/// terminal is shorter than the list.
fn draw(title: &str, rows: &[String], selected: usize) -> io::Result<()> {
    let (_, height) = terminal::size()?;
    // The title, a blank line, and the keys take 3 lines.
    let visible = usize::from(height).saturating_sub(3).max(1);
    let top = selected.saturating_sub(visible - 1);
    let mut out = io::stdout().lock();
    queue!(out, Clear(ClearType::All), MoveTo(0, 0), Print(title))?;
    for (line, (i, row)) in
        rows.iter().enumerate().skip(top).take(visible).enumerate()
    {
        let y = u16::try_from(line + 2).unwrap_or(u16::MAX);
        queue!(out, MoveTo(0, y))?;
        if i == selected {
            queue!(
                out,
                SetAttribute(Attribute::Reverse),
                Print(format!("  {row}")),
                SetAttribute(Attribute::Reset)
            )?;
        } else {
            queue!(out, Print(format!("  {row}")))?;
        }
    }
    queue!(
        out,
        MoveTo(0, height.saturating_sub(1)),
        Print("↑↓ j k move · Enter choose · q Esc back")
    )?;
    out.flush()
}
