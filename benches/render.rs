//! Budget: a full cockpit frame at 160x48 renders in under 1 ms.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shipdeck::engine::Actor;
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
}

criterion_group!(benches, render);
criterion_main!(benches);
