//! The experiments' figures (PNG, plotters, the embedded font of [`crate::plot`]).

use crate::error::{Error, Result};
use crate::plot::{FONT, ensure_font};
use plotters::prelude::*;
use std::path::Path;

/// A drawing error, naming the figure's file.
pub(crate) fn fail(out: &Path, e: impl std::fmt::Display) -> Error {
    Error::Invalid {
        what: out.display().to_string(),
        message: format!("drawing the plot: {e}"),
    }
}

/// The cost of each epoch (sum over its four examples), as a line.
pub fn cost(out: &Path, epoch_cost: &[f64]) -> Result<()> {
    ensure_font().map_err(|e| fail(out, e))?;
    let root = BitMapBackend::new(out, (900, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(out, e))?;
    let n = epoch_cost.len().max(1) as f64;
    let top = epoch_cost.iter().copied().fold(0.5f64, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption("XOR: cost per epoch", (FONT, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0f64..n + 1.0, 0f64..top)
        .map_err(|e| fail(out, e))?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("cost (sum of 4 examples)")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(|e| fail(out, e))?;
    chart
        .draw_series(LineSeries::new(
            epoch_cost
                .iter()
                .enumerate()
                .map(|(k, &c)| (k as f64 + 1.0, c)),
            BLUE.stroke_width(2),
        ))
        .map_err(|e| fail(out, e))?;
    root.present().map_err(|e| fail(out, e))
}

/// Output event rate per pattern before (light) and after (dark) training, with the 6 Hz
/// decision threshold.
pub fn rates(out: &Path, before: &[f64; 4], after: &[f64; 4]) -> Result<()> {
    ensure_font().map_err(|e| fail(out, e))?;
    let root = BitMapBackend::new(out, (700, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(out, e))?;
    let top = before.iter().chain(after).copied().fold(11.0f64, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption("XOR: output event rate", (FONT, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0f64..4.0, 0f64..top)
        .map_err(|e| fail(out, e))?;
    let names = ["(0,0)", "(1,0)", "(0,1)", "(1,1)"];
    chart
        .configure_mesh()
        .disable_x_mesh()
        // Ticks every 0.5: a pattern's name under the middle of its pair of bars.
        .x_labels(9)
        .x_label_formatter(&|x| {
            if (x - x.floor() - 0.5).abs() > 1e-9 {
                return String::new();
            }
            let k = x.floor() as usize;
            names.get(k).map_or(String::new(), |s| (*s).to_owned())
        })
        .y_desc("output event rate (Hz)")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(|e| fail(out, e))?;
    let light = RGBColor(150, 170, 220);
    for (k, (&b, &a)) in before.iter().zip(after).enumerate() {
        let x = k as f64;
        chart
            .draw_series([
                Rectangle::new([(x + 0.15, 0.0), (x + 0.48, b)], light.filled()),
                Rectangle::new([(x + 0.52, 0.0), (x + 0.85, a)], BLUE.filled()),
            ])
            .map_err(|e| fail(out, e))?;
    }
    chart
        .draw_series(LineSeries::new(
            [(0.0, 6.0), (4.0, 6.0)],
            RED.stroke_width(2),
        ))
        .map_err(|e| fail(out, e))?
        .label("6 Hz threshold")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(2)));
    chart
        .draw_series([Rectangle::new([(0.0, 0.0), (0.0, 0.0)], light.filled())])
        .map_err(|e| fail(out, e))?
        .label("before training")
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], light.filled()));
    chart
        .draw_series([Rectangle::new([(0.0, 0.0), (0.0, 0.0)], BLUE.filled())])
        .map_err(|e| fail(out, e))?
        .label("after training")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], BLUE.filled()));
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| fail(out, e))?;
    root.present().map_err(|e| fail(out, e))
}

/// Burst probability of the output and hidden populations in each learning window, with the
/// mean teacher current (the paper's panels: the output BP follows the teacher, hid1's BP the
/// output burst rate, hid2's its inverse). `rows` are `[out, hid1, hid2, teacher pA]`.
pub fn learning_bp(out: &Path, rows: &[[f64; 4]]) -> Result<()> {
    ensure_font().map_err(|e| fail(out, e))?;
    let root = BitMapBackend::new(out, (1000, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(out, e))?;
    let (upper, lower) = root.split_vertically(380);
    let n = rows.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&upper)
        .caption("XOR: burst probability in the learning windows", (FONT, 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(55)
        .build_cartesian_2d(0f64..n, 0f64..1.0)
        .map_err(|e| fail(out, e))?;
    chart
        .configure_mesh()
        .y_desc("burst probability")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(|e| fail(out, e))?;
    for (k, (name, colour)) in [("out", BLACK), ("hid1", RED), ("hid2", BLUE)]
        .into_iter()
        .enumerate()
    {
        chart
            .draw_series(LineSeries::new(
                rows.iter()
                    .enumerate()
                    .filter(|(_, r)| r[k].is_finite())
                    .map(|(i, r)| (i as f64 + 0.5, r[k])),
                colour.stroke_width(1),
            ))
            .map_err(|e| fail(out, e))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| fail(out, e))?;
    let lim = rows.iter().map(|r| r[3].abs()).fold(100.0f64, f64::max) * 1.1;
    let mut teach = ChartBuilder::on(&lower)
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(0f64..n, -lim..lim)
        .map_err(|e| fail(out, e))?;
    teach
        .configure_mesh()
        .x_desc("training example")
        .y_desc("teacher (pA)")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(|e| fail(out, e))?;
    teach
        .draw_series(LineSeries::new(
            rows.iter().enumerate().map(|(i, r)| (i as f64 + 0.5, r[3])),
            GREEN.stroke_width(1),
        ))
        .map_err(|e| fail(out, e))?;
    root.present().map_err(|e| fail(out, e))
}
