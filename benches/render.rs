//! Budget: a full cockpit frame at 160x48 renders in under 1 ms, also with the log at its
//! 5,000-line bound and a filter that matches nothing (the whole log is searched).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shipdeck::engine::{Actor, Command};
use shipdeck::sim::{Harness, Scenario};
use shipdeck::ui::app::UiState;
use shipdeck::ui::draw::draw;
use shipdeck::ui::theme::Theme;

fn midway() -> Harness {
    let plan = shipdeck::plan::load(std::path::Path::new("plans/canary.yaml")).expect("plan");
    let start = "2026-11-22T10:00:00Z".parse().unwrap();
    let mut h = Harness::new(Arc::new(plan), Scenario::Healthy, 1, start, true);
    // Mid-way through the 25% step, with full sparklines and a long log.
    h.run_until(4 * 3600, |r| {
        r.stage() == 2 && r.hold_remaining().is_some_and(|d| d.num_seconds() < 150)
    });
    h
}

fn render(c: &mut Criterion) {
    let h = midway();
    let theme = Theme::resolve(None, false).expect("dark theme");
    let ui = UiState::new(Actor::person("bench", None));
    for (w, hgt) in [(160u16, 48u16), (80, 24)] {
        let mut terminal = Terminal::new(TestBackend::new(w, hgt)).unwrap();
        c.bench_function(&format!("render: full frame {w}x{hgt}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| draw(f, black_box(&h.release), &ui, &theme, h.now()))
                    .unwrap();
            })
        });
    }
    let mut full_log = h;
    for i in 0..5000 {
        let note = format!("note {i}: the quick brown fox jumps over the lazy dog");
        full_log.command(Command::Note(note), Actor::person("ana", None));
    }
    for (label, filter) in [("following", ""), ("filter matching nothing", "fox 4")] {
        let mut ui = UiState::new(Actor::person("bench", None));
        ui.filter = filter.into();
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
        c.bench_function(&format!("render: 160x48, 5000-line log, {label}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| draw(f, black_box(&full_log.release), &ui, &theme, full_log.now()))
                    .unwrap();
            })
        });
    }
}

criterion_group!(benches, render);
criterion_main!(benches);
